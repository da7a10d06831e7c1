"""'main' is a number, not a function."""

main = 42
