"""Uploads over the real bot and the emulated Bot API: a file bigger than the bot takes is
refused from the size the update declares, before any download, and the form carries on."""

from __future__ import annotations

from tests.e2e.bot_world import World, expect, intake_until, poster_bytes, text_of

MB = 1024 * 1024


async def test_a_video_over_the_cap_is_refused_before_it_is_downloaded(world: World):
    await intake_until(world, "media")
    client = world["client"]
    video = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (21 * MB)
    await client.send_video(video)
    refused = await expect(client, "lebih dari 20,0 MB")
    assert text_of(refused) == ("Berkas ini tidak bisa dipakai: Video ini 21,0 MB, lebih dari 20,0 MB yang "
                                "diterima bot. Kompres atau perkecil, lalu kirim lagi (video besar: kirim "
                                "tautannya, mis. Google Drive, di catatan).")
    await expect(client, "3. Kirim poster")
    assert [c for c in world.server.calls if c.method == "getFile"] == [], "nothing was fetched"


async def test_while_a_newcomers_poster_downloads_everyone_else_is_answered(world: World):
    """A file is fetched before its update writes anything (the update's transaction opens at
    its first write): a newcomer whose first message is a poster, still downloading, holds
    no lock that another newcomer's greeting waits on."""
    held = world.server.hold_downloads()
    ayu = world.server.user(7001, "Ayu", language_code="id")
    await ayu.send_photo(poster_bytes())
    await world.server.wait_for(lambda: world.server.downloads_waiting, what="the poster's download")
    dodi = world.server.user(7002, "Dodi", language_code="id")
    await dodi.send("/start")
    await expect(dodi, "Selamat datang")
    assert world.server.downloads_waiting == 1, "greeted while the poster was still downloading"
    held.set()
    await expect(ayu, "Tidak ada pengisian")  # the poster, then: no form in progress
