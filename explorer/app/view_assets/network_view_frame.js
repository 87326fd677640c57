// Backprop Explorer: one more frame for a network view that is already on the page.
// Python mounts this tiny element (no style, no DOM of its own) for every frame of
// a live run after the first, under a key ending in "bpxframe<n>"; it hands the frame
// to the view with the same id. A page-wide rule hides these elements' slots before
// they are laid out, so the page does not move; the view itself is never remounted.
export default function ({ data: raw }) {
  const bus = (window.__bpxNetworkView ||= { views: new Map(), pending: new Map() });
  if (!document.getElementById("bpx-frame-style")) {
    const style = document.createElement("style");
    style.id = "bpx-frame-style";
    style.textContent = '.stElementContainer[class*="-bpxframe"] { display: none !important; }';
    document.head.appendChild(style);
  }
  const data = raw instanceof Uint8Array || raw instanceof ArrayBuffer
    ? JSON.parse(new TextDecoder().decode(raw)) : raw;
  if (!data || !data.id) return undefined;
  const view = bus.views.get(data.id);
  if (view) view.update(data);
  else bus.pending.set(data.id, data);      // the view picks it up when it starts
  return undefined;
}
