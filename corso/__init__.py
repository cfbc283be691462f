"""Tooling for the bilingual PyTorch course: build the course from source/, check it, grade submissions."""
