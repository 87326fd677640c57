"""The instruments on a page: their figures (valid plotly, outside text escaped, readable
sizes) and their Streamlit side, driven through tests/e2e/instruments_harness.py with
AppTest (every tab opens, every button works, nothing costly runs during a live run)."""
import json
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from explorer import count_regions, labs
from explorer import params as P
from explorer.app import instrument_figures as IF
from explorer.lens import ablation, influence, landscape, lr_finder, regions
from explorer.lens.diagnostics import activation_regions
from explorer.text import clip, html

HARNESS = str(Path(__file__).resolve().parent / "e2e" / "instruments_harness.py")
TIMEOUT = 120
HOSTILE = ['<a href="https://example.invalid">x</a>', "<b>B</b>", "%{x} %{customdata[0]}",
           "$x^2$", "&lt;b&gt; & <br>", "<span style='font-size:99px'>big</span>"]
OUR_TAGS = {"<br>", "<b>", "</b>", "<extra>", "</extra>"}
OUR_PLACEHOLDERS = {"x", "y", "z", "text", "customdata", "customdata[0]", "customdata[1]"}


# --- figures ----------------------------------------------------------------------------------
def strings(obj):
    if isinstance(obj, str):
        if not obj.startswith("data:image"):
            yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def check(fig, shown=()):
    """Valid plotly; no markup or placeholder but the figure's own; ``shown`` escaped;
    every tick label, legend and annotation at 14 px or more."""
    go.Figure(fig.to_dict())
    d = json.loads(fig.to_json())
    found = list(strings(d))
    for s in found:
        assert set(re.findall(r"<[^>]*>", s)) <= OUR_TAGS, s
        assert {p.split(":")[0] for p in re.findall(r"%\{([^}]*)\}", s)} <= OUR_PLACEHOLDERS, s
        assert "$" not in s and "<b>B</b>" not in s, s
    text = "\n".join(found)
    for name in shown:
        assert html(name) in text or html(clip(name, 40)) in text, name
    layout = d["layout"]
    for k, v in layout.items():
        if k.startswith(("xaxis", "yaxis")) and v.get("visible", True) is not False:
            assert v["tickfont"]["size"] >= 14, k
    assert layout["legend"]["font"]["size"] >= 14 and layout["font"]["size"] >= 14
    for a in layout.get("annotations", []):
        assert a.get("font", {}).get("size", layout["font"]["size"]) >= 14
    for t in d["data"]:
        if "colorbar" in t:
            assert t["colorbar"]["tickfont"]["size"] >= 14
    return fig


@pytest.fixture(scope="module")
def lab():
    v = P.ClassifierSettings(data="blobs", classes=3, layers=1, h1=6)
    lab = labs.ClassifierLab(labs.dataset_for(v), v, class_names=HOSTILE[:3])
    lab.trainer.run(15)
    return lab


def test_landscape_figures_are_valid_with_the_path_and_a_star(lab):
    t = lab.trainer
    r = landscape.path_plane(lab.net, t.X, t.y, t.snapshots, res=7, epoch=lab.epoch)
    fig = check(IF.landscape_figure(r["a"], r["b"], r["loss"], path={
        "a": r["path_a"], "b": r["path_b"], "epochs": r["epochs"]}, axes=HOSTILE[:2],
        title=HOSTILE[3]), HOSTILE[:2] + [HOSTILE[3]])
    names = [tr.get("name") for tr in fig.to_dict()["data"]]
    assert "training path" in names and "the network now" in names
    bad = r["loss"].copy()
    bad[0, 0], bad[1, 1] = np.nan, np.inf               # a blown-up corner still draws
    check(IF.landscape_figure(r["a"], r["b"], bad))


def test_lr_finder_figure_marks_the_suggestion_and_the_rate_now(lab):
    t = lab.trainer
    r = lr_finder.lr_range_test(lab.net, t.X, t.y, "adam", 16, steps=60)
    fig = check(IF.lr_finder_figure(r.lrs, r.losses, r.smoothed, 0.01, 0.003, title=HOSTILE[0]),
                [HOSTILE[0]])
    notes = [a["text"] for a in fig.to_dict()["layout"]["annotations"]]
    assert notes == ["suggested 0.01", "now 0.003"]
    assert fig.to_dict()["layout"]["xaxis"]["type"] == "log"
    check(IF.lr_finder_figure(r.lrs, r.losses * np.nan, r.smoothed * np.nan))


def test_two_runs_figures_name_both_runs_escaped(lab):
    h = lab.trainer.history
    runs = [dict(name=HOSTILE[1], epoch=h["epoch"], train_loss=h["train_loss"],
                 test_loss=h["test_loss"]),
            dict(name=HOSTILE[2], epoch=h["epoch"], train_loss=h["train_loss"], test_loss=None)]
    check(IF.two_runs_curves_figure(runs), HOSTILE[1:3])
    xs, ys, probs, _, _ = lab.grid(20)
    fig = check(IF.two_boundaries_figure(xs, ys, [probs, probs], HOSTILE[4:6], lab.ds.X_train,
                                         lab.ds.y_train, lab.class_names),
                HOSTILE[4:6] + lab.class_names)
    assert len(fig.to_dict()["layout"]["images"]) == 2


def test_pushes_figure_sizes_points_by_their_pull(lab):
    xs, ys, probs, _, _ = lab.grid(20)
    gx, gy = np.meshgrid(xs, ys)
    field = influence.gradient_field(lab.net, np.column_stack([gx.ravel(), gy.ravel()]))
    pull, loss = influence.point_pulls(lab.net, lab.trainer.X, lab.trainer.y)
    fig = check(IF.pushes_figure(xs, ys, field.reshape(20, 20), probs, lab.ds.X_train,
                                 lab.ds.y_train, pull, loss, lab.class_names,
                                 field_name=HOSTILE[3]), lab.class_names + [HOSTILE[3]])
    points = [t for t in fig.data if t.type == "scatter" and t.name]
    sizes = np.concatenate([np.asarray(t.marker.size) for t in points])
    pulls = np.concatenate([pull[lab.ds.y_train == k] for k in range(3)])
    assert np.array_equal(np.argsort(sizes, kind="stable"), np.argsort(pulls, kind="stable"))
    assert sizes.min() >= 5 and sizes.max() <= 27


def test_regions_figure_colours_regions_by_class_with_exact_outlines(lab):
    xs, ys, probs, _, masks = lab.grid(40)
    labels, n = activation_regions(masks)
    cls, conf = regions.region_colours(labels, probs)
    exact = regions.linear_regions(lab.net, (xs[0], ys[0]), (xs[-1], ys[-1]))
    fig = check(IF.regions_class_figure(xs, ys, labels, cls, conf, probs,
                                        regions.region_outlines(exact), lab.ds.X_train,
                                        lab.ds.y_train, lab.class_names, title=HOSTILE[0]),
                lab.class_names + [HOSTILE[0]])
    img = IF.regions_image(labels, cls, conf, 3, borders=False)
    # every pixel of a region has its region's colour: the image is constant on each region
    flat = img[::-1].reshape(-1, 3)
    for r in range(n):
        assert len(np.unique(flat[labels.ravel() == r], axis=0)) == 1
    assert any(t["type"] == "contour" for t in fig.to_dict()["data"])   # the boundary


def test_autoencoder_figures_are_valid():
    rng = np.random.default_rng(0)
    X = rng.random((6, 64))
    check(IF.errors_by_digit_figure(rng.random(10), 0.5, title=HOSTILE[0]), [HOSTILE[0]])
    check(IF.worst_digits_figure(X, X, HOSTILE[:6], rng.random(6)), HOSTILE[:6])
    dead = np.arange(12) < 2
    off = 1 + rng.random(12)
    for by_effect in (False, True):
        fig = check(IF.ablation_figure(1.0, off, dead, by_effect=by_effect))
        y = list(fig.data[0].y)
        if by_effect:
            assert y == sorted(y, reverse=True)
    check(IF.ablation_figure(1.0, np.full(12, np.nan)))


# --- the harness, through AppTest ------------------------------------------------------------
def harness(tab=None, **query):
    at = AppTest.from_file(HARNESS, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = str(v)
    if tab:
        at.query_params["tab"] = tab
    return at.run()


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return True


def ps_of(at, page="classifier"):
    return at.session_state[f"page.{page}"]


def open_tab(at, label, page="classifier"):
    at.session_state[f"w.{page}.inst.tab"] = label
    return at.run()


def test_every_classifier_tab_opens_and_computes_when_paused():
    at = harness(epochs=12, data="moons")
    assert ok(at) and [t.label for t in at.tabs] == list(
        __import__("explorer.app.instruments", fromlist=["x"]).CLASSIFIER_TABS)
    for label in ("Loss landscape", "LR finder", "Two runs", "Which points push",
                  "Linear regions"):
        at = open_tab(at, label)
        assert ok(at), label
        assert not [i.value for i in at.info if "Pause" in i.value], label
    memo = ps_of(at).memo
    assert {"inst.landscape.random", "inst.lr_finder", "inst.pushes", "inst.regions"} <= set(memo)


def test_landscape_buttons_draw_new_directions_and_the_path():
    at = harness("Loss landscape", epochs=10)
    before = ps_of(at).memo["inst.landscape.random"].value["loss"]
    at = at.button(key="w.classifier.inst.land_new").click().run()
    assert ok(at)
    after = ps_of(at).memo["inst.landscape.random"].value["loss"]
    assert after[12, 12] == pytest.approx(before[12, 12]) and not np.allclose(after, before)
    at = at.get("button_group")[0].set_value("path").run()
    assert ok(at) and "inst.landscape.path" in ps_of(at).memo
    assert any("as long as it is" in c.value for c in at.caption)


def test_the_path_slice_asks_for_training_first():
    at = harness("Loss landscape", epochs=0)
    at = at.get("button_group")[0].set_value("path").run()
    assert ok(at) and any("Train a few epochs first" in i.value for i in at.info)


def test_use_sets_the_learning_rate_control_to_the_suggestion():
    at = harness("LR finder", epochs=0, data="moons", opt="adam", lr=0.0001)
    r = ps_of(at).memo["inst.lr_finder"].value
    assert r.suggestion is not None
    lr = float(f"{r.suggestion:.2g}")
    at = at.button(key="w.classifier.inst.lr_use").click().run()
    assert ok(at)
    assert ps_of(at).values.lr == lr and at.session_state["w.classifier.lr"] == lr
    assert ps_of(at).lab.trainer.lr == pytest.approx(lr)       # the lab took it
    assert any(f"{lr:g}" in s.value for s in at.success)
    at = at.button(key="w.classifier.inst.lr_again").click().run()
    assert ok(at)


def test_a_plateaued_network_gets_no_suggestion_and_no_use_button():
    at = harness("LR finder", epochs=100)          # spirals, momentum at 0.01: a plateau
    assert ok(at) and not [b for b in at.button if b.key == "w.classifier.inst.lr_use"]
    assert any("starts to rise" in i.value for i in at.info)


def test_fork_trains_in_step_and_goes_into_the_link():
    at = harness("Two runs", epochs=8, data="moons")
    at.selectbox(key="w.classifier.inst.fork_key").set_value("lr").run()
    at.selectbox(key="w.classifier.inst.fork_value.lr").set_value(0.1).run()
    at = at.button(key="w.classifier.inst.fork").click().run()
    assert ok(at)
    ps = ps_of(at)
    assert ps.values.fork == "lr:0.1"
    assert ps.values.to_query()["fork"] == "lr:0.1"
    fork = ps.fork.lab
    assert fork.trainer.lr == 0.1 and fork.epoch == ps.lab.epoch == 8      # caught up
    assert fork.ds is ps.lab.ds and fork.values.seed == ps.lab.values.seed
    at.number_input(key="w.classifier.inst.both_n").set_value(5).run()
    at = at.button(key="w.classifier.inst.both").click().run()
    assert ok(at)
    ps = ps_of(at)
    assert ps.lab.epoch == ps.fork.lab.epoch == 13
    assert len(at.get("plotly_chart")) == 2
    assert any(c.value.startswith("Trained 5 epochs") for c in at.caption)
    at = at.button(key="w.classifier.inst.fork_close").click().run()
    assert ok(at) and ps_of(at).values.fork == "none" and ps_of(at).fork is None


def test_a_fork_link_opens_both_runs_from_the_same_weights():
    at = harness("Two runs", epochs=0, fork="lr:0.1")     # same shapes, same seed
    ps = ps_of(at)
    assert ok(at) and ps.fork.spec == ("lr", 0.1)
    a, b = ps.lab.net.params, ps.fork.lab.net.params
    assert all(np.array_equal(a[k], b[k]) for k in a)
    at = harness("Two runs", epochs=3, fork="opt:adam")
    ps = ps_of(at)
    assert ok(at) and ps.fork.lab.trainer.optimizer == "adam" and ps.fork.lab.epoch == 3


@pytest.mark.parametrize("fork", ["width:16", "lr:0.01", "opt:momentum"])
def test_a_fork_equal_to_the_pages_own_setting_trains_no_twin_and_says_so(fork):
    at = harness("Two runs", epochs=0, fork=fork)         # each is the page's default
    assert ok(at) and ps_of(at).fork is None
    assert any("twin" in w.value for w in at.warning)
    assert at.button(key="w.classifier.inst.fork")        # pick another value


def test_the_fork_follows_the_page_and_is_rebuilt_with_a_new_network():
    at = harness("Two runs", epochs=2, fork="bs:64")
    first = ps_of(at).fork.lab
    at.session_state["w.classifier.lr"] = 0.03          # a training setting: the fork takes it
    at = at.run()
    assert ok(at) and ps_of(at).fork.lab is first and first.trainer.lr == 0.03
    assert first.trainer.batch_size == 64
    ps_of(at).values = ps_of(at).values.replace(seed=5)   # new data: a new lab and a new fork
    at = at.run()
    assert ok(at) and ps_of(at).fork.lab is not first


def test_during_a_live_run_the_fork_trains_in_step_and_catches_up_at_the_pause():
    # 3,000 epochs (a few seconds): the fork's tier comes every 1.5 s, and 1,000 epochs
    # alone (about 1.5 s) sometimes ended before it was due once
    at = harness("Two runs", epochs=4, fork="lr:0.1", live=3000, data="moons")
    ps = ps_of(at)
    assert ok(at) and any("1 live tier" in c.value for c in at.caption)
    fork = ps.fork.lab
    followed = []
    train = fork.trainer.run
    fork.trainer.run = lambda *a, **kw: followed.append(ps.running) or train(*a, **kw)
    at = at.button(key="harness.live").click().run()     # 3000 epochs live (seconds), then stop
    assert ok(at)
    ps = ps_of(at)
    assert not ps.running and ps.lab.epoch == 3004
    assert True in followed                      # the live tier trained the fork during the run
    for _ in range(5):                           # each paused redraw catches up for 2 s at most
        if fork.epoch == ps.lab.epoch:
            break
        at = at.run()
    assert ps_of(at).fork.lab is fork and fork.epoch == 3004
    assert fork.trainer.lr == 0.1 and ps.lab.trainer.lr == 0.01


def test_pushes_take_the_chosen_class_and_chain_through_features():
    at = harness("Which points push", epochs=10, x1sq="1", x2sq="1")
    assert ok(at) and ps_of(at).lab.features == ("x1", "x2", "x1sq", "x2sq")
    at = at.selectbox(key="w.classifier.inst.push_class").set_value(1).run()
    assert ok(at) and ps_of(at).memo["inst.pushes"].key[-1] == 1
    assert any("through the input features" in c.value for c in at.caption)


def test_regions_tab_shows_the_exact_count_beside_the_grid():
    at = harness("Linear regions", epochs=20, data="moons", layers=1, h1=8)
    assert ok(at)
    ps = ps_of(at)
    xs, ys, *_ = ps.lab.grid(160)
    exact = count_regions(ps.lab.net, (xs[0], ys[0]), (xs[-1], ys[-1]))
    shown = {m.label: m.value for m in at.metric}
    assert shown["Exact count in view"] == f"{exact:,}"
    assert int(shown["A 160×160 grid sees"].replace(",", "")) <= exact
    at = at.toggle(key="w.classifier.inst.edges").set_value(False).run()
    assert ok(at)


def test_regions_tab_explains_what_it_cannot_count():
    at = harness("Linear regions", epochs=2, x1x2="1")
    assert ok(at) and any("Exact counting needs the plain inputs" in c.value for c in at.caption)
    assert [m.value for m in at.metric][0] == "—"
    at = harness("Linear regions", epochs=2, act="tanh")
    assert ok(at) and any("no on/off pattern" in i.value for i in at.info)


def test_nothing_costly_runs_while_training_and_old_results_say_so():
    at = harness("Loss landscape", epochs=5)
    at.toggle(key="harness.running").set_value(True).run()
    assert ok(at)
    for label in ("LR finder", "Which points push", "Linear regions"):
        at = open_tab(at, label)
        assert ok(at) and any("Pause training" in i.value for i in at.info), label
    ps = ps_of(at)
    assert not {"inst.lr_finder", "inst.pushes", "inst.regions"} & set(ps.memo)
    ps.lab.trainer.run(2)                                # the run moved on
    at = open_tab(at, "Loss landscape")
    assert ok(at) and any("Shown as at epoch 5" in c.value for c in at.caption)
    assert at.button(key="w.classifier.inst.land_new").disabled is False   # draws no cost


def test_every_autoencoder_tab_opens_and_its_widgets_work():
    at = harness(page="autoencoder", epochs=3)
    assert ok(at) and len(at.get("plotly_chart")) == 1
    at = open_tab(at, "Worst digits", "autoencoder")
    at = at.slider(key="w.autoencoder.inst.worst_n").set_value(5).run()
    assert ok(at)
    at = open_tab(at, "Switching code units off", "autoencoder")
    at = at.get("button_group")[0].set_value("effect").run()
    assert ok(at) and len(at.get("plotly_chart")) == 1
    ps = ps_of(at, "autoencoder")
    base, off = ablation.code_ablation(ps.lab.net, ps.lab.ds.X_test)
    assert ps.memo["inst.ae_ablation"].value[0] == pytest.approx(base)
