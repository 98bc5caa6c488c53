"""XML records streamed by defusedxml's iterparse; each record element becomes a dict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from ingestion.readers.base import ReaderOptions, ReadError, Record

# distinct element paths named when records_path matches nothing
_MAX_LISTED_PATHS = 20
_LISTED_DEPTH = 3


def read_xml(path: Path, options: ReaderOptions) -> Iterator[Record]:
    """Records are the elements at records_path ("offres/organisme", matched on local names
    as the end of an element's path), or the root's children without one."""
    file = str(path)
    target = [part for part in (options.records_path or "").split("/") if part]
    stack: list[Element] = []
    names: list[str] = []
    record_depth: int | None = None
    seen_paths: list[str] = []
    count = 0
    with path.open("rb") as f:
        try:
            for event, elem in SafeElementTree.iterparse(f, events=("start", "end")):
                if event == "start":
                    stack.append(elem)
                    names.append(_local(elem.tag))
                    if record_depth is None and _is_record(names, target):
                        record_depth = len(stack)
                    if len(names) <= _LISTED_DEPTH and len(seen_paths) < _MAX_LISTED_PATHS:
                        joined = "/".join(names)
                        if joined not in seen_paths:
                            seen_paths.append(joined)
                    continue
                if record_depth == len(stack):
                    count += 1
                    value = _value(elem)
                    data = value if isinstance(value, dict) else _leaf_record(value)
                    yield Record(file, count, data)
                    record_depth = None
                if record_depth is None:
                    # done with it: drop it so the tree never grows with the file
                    elem.clear()
                    if len(stack) > 1:
                        stack[-2].remove(elem)
                stack.pop()
                names.pop()
        except SafeElementTree.ParseError as exc:
            line, column = exc.position
            raise ReadError(
                file,
                f"invalid XML at line {line}, column {column} (after record {count}): "
                f"{_reason(exc)}",
                line=line,
            ) from None
        except DefusedXmlException as exc:
            raise ReadError(
                file, f"the XML declares entities or external references, refused ({exc!r})"
            ) from None
    if count == 0 and target:
        listed = ", ".join(seen_paths) or "(none)"
        raise ReadError(
            file, f"no element at {options.records_path!r}; element paths are: {listed}"
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_record(names: list[str], target: list[str]) -> bool:
    if not target:
        return len(names) == 2
    return len(names) >= len(target) and names[-len(target) :] == target


def _value(elem: Element) -> Any:
    """Leaf: its text; else a dict of "@attributes", children (lists when repeated), "#text"."""
    text = (elem.text or "").strip() or None
    if not len(elem) and not elem.attrib:
        return text
    data: dict[str, Any] = {f"@{_local(k)}": v for k, v in elem.attrib.items()}
    for child in elem:
        key = _local(child.tag)
        value = _value(child)
        if key not in data:
            data[key] = value
        elif isinstance(data[key], list):  # a child's own value is never a list
            data[key].append(value)
        else:
            data[key] = [data[key], value]
    if text is not None:
        data["#text"] = text
    return data


def _leaf_record(text: str | None) -> dict[str, Any]:
    return {"#text": text} if text is not None else {}


def _reason(exc: SafeElementTree.ParseError) -> str:
    message = str(exc)
    return message.split(":", 1)[0] if ": line" in message else message
