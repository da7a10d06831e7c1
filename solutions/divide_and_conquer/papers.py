"""Divide and conquer: sorting a pile of exam papers by grade, the halves at the same time.

Run the grader with:  pytest exercises/divide_and_conquer
"""

import random
import threading


def sort_small(papers):
    """Sort a short pile by grade, in the calling thread. Papers with the same grade keep
    the order they had (the sort is stable)."""
    return sorted(papers, key=lambda paper: paper[1])


def merge(left, right):
    """Merge two piles sorted by grade into one. On equal grades the paper of `left` comes
    first, so if `left` was before `right`, equal grades keep their order."""
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if right[j][1] < left[i][1]:
            out.append(right[j])
            j += 1
        else:
            out.append(left[i])
            i += 1
    return out + left[i:] + right[j:]


def sort_papers(papers, cutoff):
    """Return the papers (name, grade) sorted by grade, papers with the same grade in the
    order they came. A pile longer than `cutoff` is split in two halves, sorted at the same
    time in two threads, then merged."""
    if len(papers) <= cutoff:      # the cutoff: a short pile is not worth a thread
        return sort_small(papers)
    middle = len(papers) // 2
    halves = [None, None]

    def sort_half(which, pile):
        halves[which] = sort_papers(pile, cutoff)

    workers = [threading.Thread(target=sort_half, args=(0, papers[:middle])),
               threading.Thread(target=sort_half, args=(1, papers[middle:]))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return merge(halves[0], halves[1])


def main(count=200, cutoff=25):
    """Sort `count` papers with random grades and say whether the result is right."""
    rng = random.Random(7)
    papers = [(f"student-{n}", rng.randint(1, 10)) for n in range(count)]
    result = sort_papers(papers, cutoff)
    right = result == sorted(papers, key=lambda paper: paper[1])
    print(f"{count} papers, cutoff {cutoff}: {'sorted' if right else 'NOT sorted'}; "
          f"first three: {result[:3]}")


if __name__ == "__main__":
    main()
