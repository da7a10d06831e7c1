"""Librarians record new books and new shelves in one shared catalogue.

Run the grader with:  pytest exercises/reentrant_lock
"""

import threading


class Catalogue:
    """How many shelves and books the library has; several librarians update it at once."""

    def __init__(self):
        self.lock = threading.RLock()
        self.shelves = 0
        self.books = 0

    def add_book(self, title):
        """Record one book."""
        with self.lock:
            books = self.books
            self.books = books + 1

    def add_shelf(self, titles):
        """Record a new shelf and every book on it, as one step no other librarian can split."""
        with self.lock:
            shelves = self.shelves
            self.shelves = shelves + 1
            for title in titles:
                self.add_book(title)


def librarian(catalogue, titles, loose_title):
    """Shelve a box of books, then one book that came on its own."""
    catalogue.add_shelf(titles)
    catalogue.add_book(loose_title)


def run_library(librarians=2):
    """Let `librarians` threads work at once; return (shelves, books) as the catalogue says."""
    catalogue = Catalogue()
    threads = [
        threading.Thread(target=librarian, name=f"librarian-{i + 1}",
                         args=(catalogue, ["Emma", "Dune"], "Ulysses"))
        for i in range(librarians)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return catalogue.shelves, catalogue.books
