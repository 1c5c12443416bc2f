"""Read the machine's apt sources (deb822 ``*.sources`` and one-line ``*.list``) to find the Debian mirror.

Pure parsing: the lab never hard-codes a mirror host name; it uses whatever this machine's apt uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AptSource:
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()
    origin: str = ""

    def option(self, key: str) -> str | None:
        for k, v in self.options:
            if k.lower() == key.lower():
                return v
        return None


def parse_deb822(text: str, origin: str = "") -> list[AptSource]:
    """Parse a deb822 ``.sources`` file: paragraphs separated by blank lines, ``#`` comments ignored."""
    sources = []
    for paragraph in _paragraphs(text):
        fields: dict[str, str] = {}
        last = None
        for line in paragraph:
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            last = key.strip().lower()
            fields[last] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        types = tuple(fields.get("types", "").split())
        uris = tuple(fields.get("uris", "").split())
        if not types or not uris:
            continue
        known = {"types", "uris", "suites", "components", "enabled"}
        options = tuple((k, v) for k, v in fields.items() if k not in known)
        sources.append(
            AptSource(
                types=types,
                uris=uris,
                suites=tuple(fields.get("suites", "").split()),
                components=tuple(fields.get("components", "").split()),
                options=options,
                origin=origin,
            )
        )
    return sources


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for raw in text.splitlines():
        if raw.lstrip().startswith("#"):
            continue
        if not raw.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(raw.rstrip())
    return [p for p in paragraphs if p]


def parse_one_line(text: str, origin: str = "") -> list[AptSource]:
    """Parse one-line style: ``deb [opt=val ...] URI SUITE [COMPONENT...]``."""
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        if kind not in ("deb", "deb-src"):
            continue
        rest = rest.strip()
        options: list[tuple[str, str]] = []
        if rest.startswith("["):
            inner, _, rest = rest[1:].partition("]")
            for item in inner.split():
                key, _, value = item.partition("=")
                options.append((key.strip().lower(), value.strip()))
        words = rest.split()
        if len(words) < 2:
            continue
        sources.append(
            AptSource(
                types=(kind,),
                uris=(words[0],),
                suites=(words[1],),
                components=tuple(words[2:]),
                options=tuple(options),
                origin=origin,
            )
        )
    return sources


def read_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every enabled source of the machine, in apt's reading order (sources.list first, then sources.list.d)."""
    found: list[AptSource] = []
    main_list = etc_apt / "sources.list"
    if main_list.is_file():
        found += parse_one_line(main_list.read_text(errors="replace"), str(main_list))
    directory = etc_apt / "sources.list.d"
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.name.endswith(".sources"):
                found += parse_deb822(path.read_text(errors="replace"), str(path))
            elif path.name.endswith(".list"):
                found += parse_one_line(path.read_text(errors="replace"), str(path))
    return found


@dataclass(frozen=True)
class Mirror:
    uri: str
    suite: str
    keyring: str | None


def pick_mirror(sources: list[AptSource], codename: str | None = None) -> Mirror | None:
    """The Debian archive to debootstrap from: a ``deb`` source with component ``main`` and a plain suite.

    A plain suite is the release itself (``bookworm``), not ``bookworm-updates`` / ``bookworm-security``
    or a third-party ``nodistro``. When ``codename`` is given (from /etc/os-release) it must match.
    """
    for source in sources:
        if "deb" not in source.types or "main" not in source.components:
            continue
        for suite in source.suites:
            if "/" in suite or "-" in suite:
                continue
            if codename and suite != codename:
                continue
            if not codename and suite in ("nodistro", "stable-updates"):
                continue
            for uri in source.uris:
                if uri.startswith(("http://", "https://", "file:/")):
                    return Mirror(uri=uri.rstrip("/"), suite=suite, keyring=source.option("signed-by"))
    return None


def os_codename(os_release: Path = Path("/etc/os-release")) -> str | None:
    try:
        text = os_release.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME":
            return value.strip().strip('"') or None
    return None
