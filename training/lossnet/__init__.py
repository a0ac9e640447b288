"""ImageNet-trained feature networks for the style loss and the style-distance metric, converted
from the Keras models that the npm package nsfwjs ships (see fetch.py, keras.py, convert.py)."""
