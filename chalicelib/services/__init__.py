"""The product's verbs, free of any web framework; AWS clients are passed in."""
