"""The server's routes, one module per protocol or resource."""
