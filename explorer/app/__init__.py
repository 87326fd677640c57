"""The app: the only part of ``explorer`` that imports streamlit (page state,
controls bound to the URL, the live loop, files in and out), with the pure
figures (arrays -> plotly Figure) and raster images beside it."""
