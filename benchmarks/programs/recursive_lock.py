"""Buggy: a recursive function re-acquires a plain Lock it already holds (self-deadlock)."""

import threading

tree_lock = threading.Lock()
tree = {"root": ["a", "b"], "a": ["c"], "b": [], "c": []}
visited = []


def walk(node):
    with tree_lock:                   # a Lock, not an RLock: the recursive call blocks
        visited.append(node)
        for child in tree[node]:
            walk(child)


def main():
    t = threading.Thread(target=walk, args=("root",), name="walker")
    t.start()
    t.join()
    assert len(visited) == 4, f"walked {visited}"
