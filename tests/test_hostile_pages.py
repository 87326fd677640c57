"""Text from outside reaches the pages only as plain text: links, file names, CSV
labels, settings files. Every message a page shows is checked for live markup."""
import csv
import io
import json
import re

from explorer.text import WORD_JOINER

from .helpers import GOOD_CSV, HOSTILE, no_errors, page, shown, upload_csv

# what a renderer would turn into a link, an image, a tag or an autolinked address
LABELS = {"a": "<b>B</b>", "b": "[x](https://ex.invalid)"}     # labels are 30 characters at most
LIVE = ("](", "![", "<a ", "<b>", "<img", "<script", "https://", "www.example")


def messages(at):
    """The source text of every message and markdown element on the page."""
    kinds = ("warning", "error", "success", "info", "markdown", "caption", "text", "code")
    return [e.value for kind in kinds for e in getattr(at, kind)]


def assert_plain(at):
    """No live token whose first character is not backslash-escaped."""
    for text in messages(at):
        for live in LIVE:
            assert not re.search(r"(?<!\\)" + re.escape(live), text), (live, text)


def test_hostile_link_values_and_keys_show_as_plain_text():
    at = page("pages/1_Classifier.py", data=HOSTILE[3], opt=HOSTILE[4], n=HOSTILE[0],
              **{"<b>B</b>": "1", "x](https://example.invalid)": "2"})
    assert no_errors(at)
    assert_plain(at)
    note = shown(at.warning[0].value)
    assert "[link](https" in note.replace(WORD_JOINER, "")     # quoted, as characters


def test_a_hostile_file_name_and_csv_labels_show_as_plain_text():
    at = page("pages/1_Classifier.py", data="csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(GOOD_CSV)):
        writer.writerow(row[:2] + [LABELS.get(row[2], row[2])])
    at = upload_csv(at, out.getvalue().encode(), name="![](https://example.invalid/t.png).csv")
    assert no_errors(at) and at.success
    assert_plain(at)
    names = at.session_state["page.classifier"].lab.class_names
    assert set(LABELS.values()) <= set(names)       # kept as given: escaped where shown
    at = upload_csv(at, ("x1,x2,label\n" + "[x](https://example.invalid),1,a\n" * 30).encode(),
                    name="[bad](https://example.invalid).csv")
    assert no_errors(at) and at.error
    assert_plain(at)


def test_a_hostile_settings_file_shows_as_plain_text():
    at = page("pages/1_Classifier.py")
    cfg = json.dumps({"lr": "![](https://example.invalid/t.png)", HOSTILE[0]: 1, "seed": 4})
    at.file_uploader(key="w.classifier.json").set_value(
        ("<img src=x onerror=alert(1)>.json", cfg.encode(), "application/json"))
    at.run()
    assert no_errors(at)
    assert_plain(at)
    assert at.session_state["page.classifier"].values.seed == 4
