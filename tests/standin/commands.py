"""Synced application commands, option building and default_member_permissions checks."""

from __future__ import annotations

from typing import Any

from tests.standin.payloads import ADMINISTRATOR
from tests.standin.util import Snowflakes
from tests.standin.world import World

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3, 4, 5, 6, 7, 8, 9, 10, 11
)

Resolved = dict[str, dict[str, Any]]


class CommandStore:
    """Commands the bot synced, global and per guild, keyed by (name, type)."""

    def __init__(self, ids: Snowflakes, application_id: str) -> None:
        self.ids = ids
        self.application_id = application_id
        self._scopes: dict[str | None, dict[tuple[str, int], dict[str, Any]]] = {}

    def overwrite(self, guild_id: str | None, commands: list[dict[str, Any]]) -> list[dict]:
        """Bulk overwrite (PUT): keeps ids of commands whose name and type are unchanged."""
        old = self._scopes.get(guild_id, {})
        new = {}
        for command in commands:
            stored = self._normalise(command, guild_id, old)
            new[(stored["name"], stored["type"])] = stored
        self._scopes[guild_id] = new
        return list(new.values())

    def upsert(self, guild_id: str | None, command: dict[str, Any]) -> dict[str, Any]:
        """Create or replace one command (POST)."""
        scope = self._scopes.setdefault(guild_id, {})
        stored = self._normalise(command, guild_id, scope)
        scope[(stored["name"], stored["type"])] = stored
        return stored

    def delete(self, guild_id: str | None, command_id: str) -> bool:
        """Delete one command by id; False if unknown."""
        scope = self._scopes.get(guild_id, {})
        for key, command in list(scope.items()):
            if command["id"] == command_id:
                del scope[key]
                return True
        return False

    def listing(self, guild_id: str | None) -> list[dict[str, Any]]:
        """Commands of one scope (None = global)."""
        return list(self._scopes.get(guild_id, {}).values())

    def all(self) -> list[dict[str, Any]]:
        """Every synced command, global first."""
        ordered = sorted(self._scopes, key=lambda g: g is not None)
        return [c for g in ordered for c in self._scopes[g].values()]

    def find(self, name: str, guild_id: str, command_type: int = 1) -> dict[str, Any] | None:
        """The command a user in ``guild_id`` would invoke: guild command first, then global."""
        for scope in (guild_id, None):
            found = self._scopes.get(scope, {}).get((name, command_type))
            if found is not None:
                return found
        return None

    def _normalise(self, command: dict, guild_id: str | None, old: dict) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **command,
        }
        if stored["default_member_permissions"] is not None:  # Discord answers a string
            stored["default_member_permissions"] = str(int(stored["default_member_permissions"]))
        previous = old.get((stored["name"], stored["type"]))
        stored["id"] = previous["id"] if previous else self.ids.next()
        stored["application_id"] = self.application_id
        stored["version"] = self.ids.next()
        if guild_id is not None:
            stored["guild_id"] = guild_id
        return stored


def member_may_use(command: dict[str, Any], permissions: int) -> bool:
    """Discord's default_member_permissions rule (``"0"`` = administrators only)."""
    required = command.get("default_member_permissions")
    if required is None or permissions & ADMINISTRATOR:
        return True
    needed = int(required)
    return needed != 0 and permissions & needed == needed


def definitions_for(command: dict[str, Any], subcommand: str | None) -> tuple[list, list[str]]:
    """Option definitions of the (sub)command and the subcommand path."""
    defs = command.get("options") or []
    path = subcommand.split() if subcommand else []
    for name in path:
        match = [o for o in defs if o["name"] == name and o["type"] in (1, 2)]
        if not match:
            raise ValueError(f"/{command['name']} has no subcommand {name!r}")
        defs = match[0].get("options") or []
    return defs, path


def nest(command: dict[str, Any], path: list[str], options: list[dict]) -> list[dict]:
    """Wrap leaf options in their subcommand (group) options."""
    defs = command.get("options") or []
    chain = []
    for name in path:
        found = next(o for o in defs if o["name"] == name)
        chain.append(found)
        defs = found.get("options") or []
    for found in reversed(chain):
        options = [{"type": found["type"], "name": found["name"], "options": options}]
    return options


class OptionBuilder:
    """Turns ``{name: value}`` into interaction options + resolved data, like the client."""

    def __init__(self, world: World, definitions: list[dict[str, Any]]) -> None:
        self.world = world
        self.defs = {d["name"]: d for d in definitions}
        self.resolved: Resolved = {}

    def build(self, values: dict[str, Any] | list[dict[str, Any]], focused: str | None = None,
              complete: bool = True) -> list[dict[str, Any]]:
        """Options list; ``focused`` marks an autocomplete option (sent raw, unvalidated);
        ``complete`` checks that required options are present."""
        if isinstance(values, list):
            return [self._typed_raw(o) for o in values]
        options = []
        for name, value in values.items():
            definition = self._definition(name)
            if name == focused:
                options.append({"type": definition["type"], "name": name, "value": value,
                                "focused": True})
            else:
                options.append(self._convert(definition, value))
        if complete and focused is None:
            self._check_required(values)
        return options

    def _definition(self, name: str) -> dict[str, Any]:
        if name not in self.defs:
            raise ValueError(f"unknown option {name!r}; synced options: {sorted(self.defs)}")
        return self.defs[name]

    def _typed_raw(self, option: dict[str, Any]) -> dict[str, Any]:
        if "type" in option:
            return option
        return dict(option, type=self._definition(option["name"])["type"])

    def _check_required(self, values: dict[str, Any]) -> None:
        missing = [n for n, d in self.defs.items() if d.get("required") and n not in values]
        if missing:
            raise ValueError(f"required options missing: {missing}")

    def _convert(self, definition: dict[str, Any], value: Any) -> dict[str, Any]:
        kind, name = definition["type"], definition["name"]
        if kind in (STRING, INTEGER, NUMBER, BOOLEAN):
            value = _scalar(definition, value)
        else:
            value = self._resolve(kind, value)
        return {"type": kind, "name": name, "value": value}

    def _resolve(self, kind: int, value: Any) -> str:
        """Snowflake-typed option: return the id and fill ``resolved``."""
        if kind == ATTACHMENT:
            payload = value if isinstance(value, dict) else self.world.files[str(value)].payload
            self.resolved.setdefault("attachments", {})[payload["id"]] = payload
            return payload["id"]
        ident = str(value["id"]) if isinstance(value, dict) else str(value)
        if kind == ROLE or (kind == MENTIONABLE and ident in self.world.roles):
            self.resolved.setdefault("roles", {})[ident] = self.world.roles[ident]
        elif kind == CHANNEL:
            channel = self.world.channel(ident) or {"id": ident, "type": 0, "name": "unknown"}
            self.resolved.setdefault("channels", {})[ident] = dict(channel, permissions="0")
        else:
            self._resolve_user(value)
        return ident

    def _resolve_user(self, value: Any) -> None:
        user = self.world.user(value)
        self.resolved.setdefault("users", {})[user["id"]] = user
        if self.world.is_member(user):
            member = self.world.member_payload(user, with_permissions=True)
            member.pop("user")
            self.resolved.setdefault("members", {})[user["id"]] = member


def _scalar(definition: dict[str, Any], value: Any) -> Any:
    """Coerce and validate a string/number/boolean option like Discord's client does."""
    kind, name = definition["type"], definition["name"]
    value = {STRING: str, INTEGER: int, NUMBER: float, BOOLEAN: bool}[kind](value)
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"option {name!r}: {value!r} is not one of the choices")
    if kind == STRING:
        low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ValueError(f"option {name!r}: length must be {low}..{high}")
    elif kind in (INTEGER, NUMBER):
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"option {name!r}: {value} outside {low}..{high}")
    return value
