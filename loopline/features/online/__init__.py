"""Online stores: the latest feature values per entity, behind one small interface chosen by URL."""

from loopline.features.online.base import MISSING_CREATED, WATERMARK_KEY, OnlineRow, OnlineStore
from loopline.features.online.codec import entity_key, pack_values, unpack_values
from loopline.features.online.registry import known_schemes, online_store_for, register_online_store

__all__ = [
    "MISSING_CREATED",
    "WATERMARK_KEY",
    "OnlineRow",
    "OnlineStore",
    "entity_key",
    "known_schemes",
    "online_store_for",
    "pack_values",
    "register_online_store",
    "unpack_values",
]
