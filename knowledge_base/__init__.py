"""The merchant's curated FAQ: data files, their store and the matcher index built from them."""
