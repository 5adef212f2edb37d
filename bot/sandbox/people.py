"""The sandbox's sample people: a client, one holder per role of the flow, two subscribers
and a channel. Ids are fixed so a kept sandbox database meets the same people again."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.flow import Flow
from bot.services.people import ADMIN

HOLDER_NAMES = ("Budi", "Wati", "Dedi", "Rudi", "Putri", "Joko", "Lina", "Agus", "Maya", "Hadi", "Nina",
                "Eko")
CLIENT_ID, FIRST_HOLDER_ID, FIRST_SUBSCRIBER_ID, CHANNEL_ID = 1001, 2001, 6001, -1001001
COLOURS = ("#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774", "#5fbed5")


@dataclass(frozen=True)
class Person:
    """One chat on the page: a private chat with a sample person, or the channel."""

    key: str  # the page's name for the chat: client, a role id, subscriber1, channel
    chat_id: int
    name: str
    label: str  # what they are in the procedure, e.g. the role's name
    kind: str = "private"  # or "channel"
    roles: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()  # a subscriber's choice
    phone: str = ""
    colour: str = COLOURS[0]

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.name.split()[:2]).upper()


def cast_for(flow: Flow) -> list[Person]:
    """The people of a sandbox on `flow`, in the order the page lists them."""
    people = [Person("client", CLIENT_ID, "Sari", "Pemohon (klien)", phone="+6281234567890",
                     colour=COLOURS[0])]
    for index, role in enumerate(flow.roles):
        roles = (role.id,)
        if index == 0 and flow.supervisor is None:
            roles += (ADMIN,)  # escalations go to the admin where no role supervises
        people.append(Person(
            role.id, FIRST_HOLDER_ID + index, HOLDER_NAMES[index % len(HOLDER_NAMES)], role.name.id,
            roles=roles, phone=f"+62812000{2001 + index}", colour=COLOURS[(index + 1) % len(COLOURS)],
        ))
    audiences = flow.rules.audiences
    for number, name in enumerate(("Rina", "Dimas"), start=1):
        chosen = (audiences[number - 1],) if len(audiences) >= number else ()
        label = f"Pelanggan info ({', '.join(chosen) or 'semua'})"
        people.append(Person(f"subscriber{number}", FIRST_SUBSCRIBER_ID + number - 1, name, label,
                             audiences=chosen, phone=f"+62812000{6000 + number}",
                             colour=COLOURS[(len(people)) % len(COLOURS)]))
    people.append(Person("channel", CHANNEL_ID, "Info Kampus", "Kanal push-info", kind="channel",
                         colour=COLOURS[(len(people)) % len(COLOURS)]))
    return people


def publisher(flow: Flow, people: list[Person]) -> Person:
    """Who registers the channel: the holder of the publishing role (else the first holder)."""
    publishing = {step.role for step in flow.request_steps if step.kind == "publish"}
    holders = [p for p in people if p.roles]
    return next((p for p in holders if publishing & set(p.roles)), holders[0] if holders else people[0])
