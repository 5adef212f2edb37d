"""Codes that grant something (invites give a role, link codes an identity): 64 bits, they
expire, an invite can be revoked, and wrong guesses are slowed down per person in a way a
restart does not undo. Real SQLite file; the CLI as a real process."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app import App
from bot.chat.intake import Who
from bot.chat.roles import Roles
from tests.integration.test_cli import humas

DAY = timedelta(days=1)


async def test_an_invite_is_64_bits_and_works_for_seven_days(app, clock):
    codes = {await app.people.invite("petugas", clock.now()) for _ in range(20)}
    assert all(re.fullmatch(r"[0-9A-F]{16}", code) for code in codes) and len(codes) == 20
    first, second = sorted(codes)[:2]
    tono = await app.people.person("telegram", 7001, "Tono")
    clock.advance(7 * DAY - timedelta(minutes=1))
    spaced = " ".join(first[i:i + 4] for i in range(0, 16, 4)).lower()  # as someone types it
    assert (await app.people.redeem(spaced, tono, clock.now())).role == "petugas"
    clock.advance(timedelta(minutes=1))
    tini = await app.people.person("telegram", 7002, "Tini")
    assert (await app.people.redeem(second, tini, clock.now())).outcome == "bad_code"  # expired
    assert await app.people.roles_of(tini) == set()


async def test_a_revoked_invite_no_longer_works(app, clock):
    code = await app.people.invite("koordinator", clock.now(), timedelta(days=2))
    assert await app.people.revoke_invite(code.lower(), clock.now())
    assert not await app.people.revoke_invite(code, clock.now()), "revoked once"
    tono = await app.people.person("telegram", 7001, "Tono")
    assert (await app.people.redeem(code, tono, clock.now())).outcome == "bad_code"
    [row] = await app.people.invites()
    assert (row["code"], row["role"], row["redeemed_by"]) == (code, "koordinator", None)
    assert row["revoked_at"] is not None


async def test_wrong_codes_are_slowed_down_and_a_restart_does_not_reset_it(settings, clock):
    app = await App.open(settings, clock=clock)
    try:
        code = await app.people.invite("petugas", clock.now())
        eko = await app.people.person("telegram", 8001, "Eko")
        roles = Roles(app)
        who = Who(eko, "id", "telegram")
        for guess in range(4):
            text = (await roles.join(who, [f"{guess:016X}"])).text
            assert text == "Kode undangan tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa."
        text = (await roles.join(who, ["0000000000000005"])).text  # the fifth: now it waits
        assert text.endswith("kode berikutnya baru diperiksa setelah 26-11-2026 09.01 WIB.")
    finally:
        await app.close()

    app = await App.open(settings, clock=clock)  # a restart of the bot
    try:
        roles, who = Roles(app), Who(eko, "id", "telegram")
        text = (await roles.join(who, [code])).text  # even the right code is not looked at
        assert text == ("Terlalu banyak kode yang salah. Coba lagi setelah 26-11-2026 09.01 WIB; kode ini "
                        "belum diperiksa.")
        assert await app.people.roles_of(eko) == set()
        clock.advance(timedelta(minutes=1))
        text = (await roles.join(who, ["0000000000000006"])).text  # the sixth wrong one: 2 minutes
        assert text.endswith("setelah 26-11-2026 09.03 WIB.")
        clock.advance(timedelta(minutes=2))
        assert (await roles.join(who, [code])).text == "Selamat, Anda kini memegang peran Petugas."
        # a success starts the count again: the next typo is only a typo
        text = (await roles.join(who, ["0000000000000007"])).text
        assert text == "Kode undangan tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa."
        other = await app.people.person("telegram", 8002, "Tari")  # per person: others are not held up
        assert (await app.people.redeem("0000000000000008", other, clock.now())).until is None
    finally:
        await app.close()


async def test_wrong_link_codes_count_too(app, clock):
    budi = await app.people.person("telegram", 2001, "Budi")
    code = await app.people.link_code(budi, "telegram", clock.now())
    assert re.fullmatch(r"[0-9A-F]{16}", code)
    stranger = await app.people.person("line", "U" + "e" * 32, "Eko")
    for guess in range(5):
        linked = await app.people.link(f"{guess:016X}", "line", "U" + "e" * 32, clock.now())
        assert linked.outcome == "bad_code"
    assert linked.until == clock.now() + timedelta(minutes=1)
    linked = await app.people.link(code, "line", "U" + "e" * 32, clock.now())
    assert (linked.outcome, linked.person_id) == ("blocked", stranger), "the right code waits too"
    assert await app.people.roles_of(stranger) == set()


def test_cli_invite_list_and_revoke(tmp_path):
    made = humas(tmp_path, "invite", "petugas", "--days", "3")
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip()
    assert "one use, until" in made.stderr
    other = humas(tmp_path, "invite", "koordinator").stdout.strip()
    listing = humas(tmp_path, "invite", "list").stdout
    rows = {line.split("|")[0].strip(): line for line in listing.splitlines() if "|" in line}
    assert "petugas" in rows[code] and "open until" in rows[code]
    assert "koordinator" in rows[other] and "open until" in rows[other]

    revoked = humas(tmp_path, "invite", "revoke", code.lower())
    assert (revoked.returncode, revoked.stdout.strip()) == (0, f"revoked {code}")
    listing = humas(tmp_path, "invite", "list").stdout
    assert "revoked" in next(line for line in listing.splitlines() if line.startswith(code))
    again = humas(tmp_path, "invite", "revoke", code)
    assert again.returncode == 2 and "no open invite" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert humas(tmp_path, "invite", "revoke").returncode == 2
    assert humas(tmp_path, "invite", "petugas", "--days", "0").returncode == 2
