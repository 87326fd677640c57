"""Backprop math: the derivation line by line, with the live numbers of your network."""
import streamlit as st

from explorer.app import controls, derivation, server, teach

PAGE = "math"
v = controls.open_page(PAGE).values

st.title(server.PAGE[PAGE].heading)
st.caption("Each line of the derivation above its value for a small batch of the network "
           "you are training on the other pages (or a fresh one). Rows of every matrix are "
           "samples; red is negative, purple positive.")
controls.show_url_notes(PAGE)
teach.lesson_picker(PAGE)
teach.lesson_card(PAGE)

controls.control(PAGE, "net")
controls.control(PAGE, "n", help="Samples in the batch shown here.")
controls.control(PAGE, "seed", help="Which samples are drawn (and the data and weights of the common mistakes).")

net, X, y, origin = derivation.current_network(v.net, v.n, v.seed)
st.info(f"Showing {origin}: layers {' → '.join(map(str, net.sizes))}, a batch of {len(X)} "
        "training samples.", icon=":material/info:")
out, cache = net.forward(X)
loss, D_out = net.output_delta(cache, y)
grads, deltas = net.backward(cache, D_out)

tab_fwd, tab_bwd, tab_check, tab_mistakes = st.tabs(
    ["1 · Forward", "2 · Backward", "3 · Gradient check", "4 · Common mistakes"])
with tab_fwd:
    derivation.forward(net, X, cache, out, loss)
with tab_bwd:
    derivation.backward(net, X, grads, deltas)
with tab_check:
    derivation.gradient_check(net, X, y)
with tab_mistakes:
    st.markdown("Five slips that hand derivations of backprop often contain. Pick one: the "
                "gradient check always catches it. Training may or may not show it: any step "
                "within 90° of the true gradient still goes downhill, so a wrong gradient can "
                "look fine for a while, or go badly wrong at once. That is why the check exists.")
    derivation.mistake(controls.control(PAGE, "mistake", container=st), v.seed)

controls.sync_url(PAGE)
