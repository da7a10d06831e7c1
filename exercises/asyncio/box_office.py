"""A box office that sells the seats of a concert online, one asyncio task per buyer.

Run the grader with:  pytest exercises/asyncio
"""

import asyncio


class PaymentDeclined(Exception):
    """The buyer's bank refused the payment."""


async def charge(buyer):
    """Charge `buyer`'s card for one ticket (it takes a while: the bank answers over the
    network). Raises PaymentDeclined when the bank refuses."""
    await asyncio.sleep(0.01)
    if buyer % 5 == 4:
        raise PaymentDeclined(f"buyer {buyer}: card declined")


class BoxOffice:
    """Sells `seats` seats, each to one buyer."""

    def __init__(self, seats):
        self.seats_left = seats
        self.sold = []       # the buyers who got a seat
        # TODO: anything the sales need to share, to keep two of them from selling the
        # same seat.

    async def sell(self, buyer):
        """Sell a seat to `buyer`: True once the buyer has paid and has the seat, False when
        the concert is sold out. A declined payment is raised to the caller, and the seat
        stays free for the next buyer."""
        # TODO: no other sale may come between seeing a free seat and taking it, and other
        # sales must go on while this buyer's bank answers.
        if self.seats_left == 0:
            return False
        await charge(buyer)
        self.seats_left -= 1
        self.sold.append(buyer)
        return True


async def opening(buyers=8, seats=3):
    """`buyers` fans try to buy one of `seats` seats at the same moment."""
    office = BoxOffice(seats)

    async def buy(buyer):
        try:
            return await office.sell(buyer)
        except PaymentDeclined:
            return "declined"

    results = await asyncio.gather(*(buy(b) for b in range(buyers)))
    print(f"{seats} seats, {buyers} buyers: {results.count(True)} tickets sold "
          f"(to {office.sold}), {office.seats_left} seats left")


if __name__ == "__main__":
    asyncio.run(opening())
