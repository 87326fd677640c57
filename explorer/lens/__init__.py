"""What we measure inside a network: its maps over the plane, ReLU masks and linear
regions, dead units, codes, the gradient check and the common mistakes. Pure NumPy."""
