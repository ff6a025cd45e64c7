"""Message families and the conversions between Python objects and ABI bytes.

Every message crosses the C boundary serialized. Outgoing, any object with
``SerializeToString()`` is accepted (the shipped v1 classes, legacy ``mesos_pb2``, or
anything wire-compatible). Incoming, the bytes are parsed into the classes of the
family the driver was built with.
"""

from __future__ import annotations

import types
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

__all__ = ["MessageFamily", "resolve_family"]


class MessageFamily:
    """The classes callbacks receive their arguments as.

    Built from a module of generated classes: the v1 module (``AgentID``) or a v0 one
    (``SlaveID``, e.g. ``mesos.interface.mesos_pb2``).
    """

    def __init__(self, module: Any, name: Optional[str] = None) -> None:
        self.module = module
        self.name = name or getattr(module, "__name__", repr(module))

        def need(*names: str) -> Any:
            for n in names:
                cls = getattr(module, n, None)
                if cls is not None:
                    return cls
            raise TypeError(
                "messages=%s has no class %s: pass 'v1', 'v0' or a module of generated "
                "Mesos message classes" % (self.name, " or ".join(names))
            )

        self.FrameworkID = need("FrameworkID")
        self.MasterInfo = need("MasterInfo")
        self.Offer = need("Offer")
        self.OfferID = need("OfferID")
        self.TaskStatus = need("TaskStatus")
        self.ExecutorID = need("ExecutorID")
        self.AgentID = need("AgentID", "SlaveID")
        # Extensions: absent from old modules; such callbacks then get raw bytes.
        self.InverseOffer = getattr(module, "InverseOffer", None)
        self.OperationStatus = getattr(module, "OperationStatus", None)

    def parse(self, cls: Any, data: bytes) -> Any:
        if cls is None:
            return data
        message = cls()
        message.ParseFromString(data)
        return message


def _v1_module() -> types.ModuleType:
    from .v1 import mesos_pb2

    return mesos_pb2


def _v0_module() -> types.ModuleType:
    # The legacy package when installed, else this package's fallback (same import).
    from . import _compat_hook

    _compat_hook.install()
    import importlib

    return importlib.import_module("mesos.interface.mesos_pb2")


FamilySpec = Union[None, str, types.ModuleType, MessageFamily]


def resolve_family(spec: FamilySpec) -> MessageFamily:
    """``None``/``"v1"``: the shipped v1 classes; ``"v0"``: ``mesos.interface.mesos_pb2``;
    a module: its classes; a MessageFamily: itself."""
    if isinstance(spec, MessageFamily):
        return spec
    if spec is None or spec == "v1":
        return MessageFamily(_v1_module(), "v1")
    if spec == "v0":
        return MessageFamily(_v0_module(), "v0")
    if isinstance(spec, str):
        raise ValueError("messages must be 'v1', 'v0' or a module of message classes, not %r" % spec)
    return MessageFamily(spec)


# ---------------------------------------------------------------- outgoing


def _describe(obj: Any) -> str:
    return type(obj).__name__


def _short(full_name: str) -> str:
    """``mesos.v1.Offer.Operation`` -> ``Operation``: how messages name the expected type."""
    return full_name.rsplit(".", 1)[-1]


def _a(name: str) -> str:
    return ("an " if name[:1] in "AEIOU" else "a ") + name


def to_bytes(obj: Any, what: str, expected: Sequence[str]) -> bytes:
    """Serializes one message argument; TypeError/ValueError with the argument named.

    ``expected`` are the accepted full message type names (v1 first, then the v0
    twins); an object that says it is another message type (``DESCRIPTOR.full_name``,
    so a ``mesos.v1.scheduler.Call.Request`` is no ``mesos.v1.Request``) is refused,
    one without a descriptor is trusted.
    """
    serialize = getattr(obj, "SerializeToString", None)
    if serialize is None or not callable(serialize) or isinstance(obj, type):
        raise TypeError(
            "%s must be %s message (an object with SerializeToString()), not %s"
            % (what, _a(_short(expected[0])), _describe(obj))
        )
    descriptor = getattr(obj, "DESCRIPTOR", None)
    type_name = getattr(descriptor, "full_name", None)
    if isinstance(type_name, str) and type_name not in expected:
        raise TypeError("%s must be %s message, not %s" % (what, _a(_short(expected[0])), _a(type_name)))
    try:
        data = serialize()
    except Exception as err:  # protobuf's EncodeError: required fields missing
        raise ValueError("%s (%s) cannot be serialized: %s" % (what, _short(expected[0]), err)) from err
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(
            "%s.SerializeToString() returned %s, not bytes" % (what, _describe(data))
        )
    return bytes(data)


def optional_bytes(obj: Any, what: str, expected: Sequence[str]) -> Optional[bytes]:
    return None if obj is None else to_bytes(obj, what, expected)


def _is_message(obj: Any) -> bool:
    return callable(getattr(obj, "SerializeToString", None)) and not isinstance(obj, type)


def message_list(
    objs: Any, what: str, expected: Sequence[str], allow_single: bool = False
) -> List[bytes]:
    """Serializes a list (any iterable) of messages; a single message only if allowed."""
    if allow_single and _is_message(objs):
        return [to_bytes(objs, what, expected)]
    if isinstance(objs, (str, bytes, bytearray)) or _is_message(objs) or objs is None:
        raise TypeError(
            "%s must be a list of %s messages, not %s" % (what, _short(expected[0]), _describe(objs))
        )
    try:
        items = list(objs)
    except TypeError:
        raise TypeError(
            "%s must be a list of %s messages, not %s" % (what, _short(expected[0]), _describe(objs))
        ) from None
    return [to_bytes(item, "%s[%d]" % (what, i), expected) for i, item in enumerate(items)]


def string_list(objs: Optional[Iterable[str]], what: str, allow_none: bool) -> Optional[List[bytes]]:
    """Encodes a list of role names as NUL-free UTF-8."""
    if objs is None:
        if allow_none:
            return None
        raise TypeError("%s must be a list of strings, not None" % what)
    if isinstance(objs, (str, bytes, bytearray)):
        raise TypeError(
            "%s must be a list of strings, not a single %s (wrap it in a list)"
            % (what, _describe(objs))
        )
    try:
        items = list(objs)
    except TypeError:
        raise TypeError("%s must be a list of strings, not %s" % (what, _describe(objs))) from None
    return [c_string(item, "%s[%d]" % (what, i)) for i, item in enumerate(items)]


def c_string(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError("%s is not valid UTF-8: %s" % (what, err)) from None
        encoded = value
    elif isinstance(value, str):
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError("%s cannot be encoded as UTF-8: %s" % (what, err)) from None
    else:
        raise TypeError("%s must be a string, not %s" % (what, _describe(value)))
    if b"\0" in encoded:
        raise ValueError("%s must not contain a NUL character" % what)
    return encoded


def data_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        # mesos.native (Python 2) took str; accept text as UTF-8 for old frameworks.
        return value.encode("utf-8")
    raise TypeError("%s must be bytes, not %s" % (what, _describe(value)))


def _twins(name: str, v0_name: str = "", package: str = "") -> Tuple[str, str]:
    """The v1 full name of a message and its v0 twin (``mesos.v1.X``, ``mesos.X``)."""
    scope = "mesos.v1" + package
    return ("%s.%s" % (scope, name), "mesos%s.%s" % (package, v0_name or name))


# Accepted full type names per argument: the v1 name first (used in messages).
FRAMEWORK_INFO = _twins("FrameworkInfo")
CREDENTIAL = _twins("Credential")
OFFER_ID = _twins("OfferID")
TASK_INFO = _twins("TaskInfo")
TASK_ID = _twins("TaskID")
TASK_STATUS = _twins("TaskStatus")
FILTERS = _twins("Filters")
REQUEST = _twins("Request")
OPERATION = _twins("Offer.Operation")
EXECUTOR_ID = _twins("ExecutorID")
AGENT_ID = _twins("AgentID", "SlaveID")
OFFER_CONSTRAINTS = _twins("OfferConstraints", package=".scheduler")
