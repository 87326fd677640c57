"""The data a network learns from: toy 2-D generators (one registry), the 8x8
digits that ship with scikit-learn, and a person's own CSV of points. Pure NumPy."""
from .csv_points import parse_points_csv
from .dataset import Dataset, load_digits_data, make_dataset, make_dataset_from_points
from .points import DATASETS, allowed_classes

__all__ = ["DATASETS", "Dataset", "allowed_classes", "load_digits_data", "make_dataset",
           "make_dataset_from_points", "parse_points_csv"]
