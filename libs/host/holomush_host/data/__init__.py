"""The host's data layer on PostgreSQL: events, world, sessions and focus, plugin KV.

Everything lives in the host's own schema (default ``holomush``), created and migrated by
`HostData.open`. See `HostData` for the entry point.
"""

from holomush_host.data.errors import (
    ConflictError,
    DataError,
    DataErrorCode,
    FocusError,
    FocusErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
    StoreUnavailableError,
)
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import (
    ALL_STREAMS,
    Actor,
    ActorKind,
    BoundedTail,
    EventDraft,
    FromCursor,
    LiveOnly,
    StoredEvent,
    StreamStart,
)
from holomush_host.data.focus import (
    FocusCoordinator,
    FocusKindPolicy,
    JoinCheck,
    RestorePlan,
    ScenePolicy,
    scene_streams,
)
from holomush_host.data.host_data import HostData
from holomush_host.data.kv import PluginKV, PluginKVStore
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.data.session_streams import SessionStreams
from holomush_host.data.sessions import FocusMembership, SessionInfo, SessionStatus, SessionStore
from holomush_host.data.stream_registry import SessionStreamRegistry, StreamSender
from holomush_host.data.subscription import Subscription
from holomush_host.data.validation import check_stream, stream_namespace
from holomush_host.data.world import (
    CharacterInfo,
    ExitInfo,
    LocationInfo,
    LocationType,
    WorldStore,
    character_stream,
    location_stream,
)

__all__ = [
    "ALL_STREAMS",
    "Actor",
    "ActorKind",
    "BoundedTail",
    "CharacterInfo",
    "ConflictError",
    "DataError",
    "DataErrorCode",
    "EventDraft",
    "EventStore",
    "ExitInfo",
    "FocusCoordinator",
    "FocusError",
    "FocusErrorCode",
    "FocusKindPolicy",
    "FocusMembership",
    "FromCursor",
    "HostData",
    "InvalidInputError",
    "JoinCheck",
    "LiveOnly",
    "LocationInfo",
    "LocationType",
    "NotFoundError",
    "PluginKV",
    "PluginKVStore",
    "ReplayMode",
    "RestorePlan",
    "ScenePolicy",
    "SessionExpiredError",
    "SessionInfo",
    "SessionStatus",
    "SessionStore",
    "SessionStreamRegistry",
    "SessionStreams",
    "StoreUnavailableError",
    "StoredEvent",
    "StreamReplay",
    "StreamSender",
    "StreamStart",
    "Subscription",
    "WorldStore",
    "character_stream",
    "check_stream",
    "location_stream",
    "scene_streams",
    "stream_namespace",
]
