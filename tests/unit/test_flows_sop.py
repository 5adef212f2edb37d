"""The five shipped SOP flows against their documents (/work/shared/seeds/*.txt).

The expected tables are copied by hand from the documents: (row number, role, Waktu as
written). They are deliberately not generated from the flow files.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from bot.domain.engine import Act, Action, Actor, Outcome, Refused, allowed_acts, apply, resubmit, start
from bot.domain.flow import REJECT, REQUESTER, Flow, Kind
from bot.domain.request import Contact, Content, MediaRef, RequestState, Status
from bot.flows.loader import load_flow

NOW = datetime(2026, 3, 2, 9, 0)
CLIENT = Actor(person_id=1, roles=frozenset(), name="Sari")
PHOTO = MediaRef(sha256="a" * 64, kind="image", mime="image/jpeg", size=1000, filename="poster.jpg")

# (row number, role, "Waktu" as written in the document); None where the document gives none.
EXPECTED: dict[str, list[tuple[int | None, str, str | None]]] = {
    # 000: no numbered table; A.1 (request, confirmation by LINE), A.5 (quality control), B.2.
    # The 1d standards of konfirmasi, quality_control and publikasi are our reading.
    "ismki": [
        (None, "requester", None),
        (None, "requester", "1 hari"),
        (None, "ict", "1 hari"),
        (None, "ict", "1 hari"),
    ],
    "rspon": [
        (1, "requester", "15 menit"),
        (2, "ipkp", "1 hari"),
        (3, "subkoordinator_humas", "15 menit"),
        (4, "tim_humas", "1 jam"),
        (5, "subkoordinator_humas", "30 menit"),
        (6, "koordinator_substansi", "30 menit"),
        (7, "direksi", "10 menit"),
        (8, "tim_humas", "2 jam"),
    ],
    "unej": [
        (1, "wakil_rektor_3", "1 hari"),
        (2, "kepala_bpkh", "2 jam"),
        (3, "koordinator_pkih", "1 jam"),
        (4, "wakil_koordinator_humas", "10 menit"),
        (5, "wakil_koordinator_humas", "5 menit"),
        (6, "petugas", "5 Menit"),
        (7, "petugas", "5 menit"),
    ],
    "ub-fisip": [
        (1, "koordinator_kehumasan", None),
        (2, "staf_kehumasan", "5 menit"),
        (3, "staf_kehumasan", "10 menit"),
        (4, "staf_kehumasan", "10 menit"),
        (5, "koordinator_kehumasan", "10 menit"),
        (6, "staf_kehumasan", "10 menit"),
        (7, "staf_kehumasan", "15 menit"),
        (8, "staf_kehumasan", "5 menit"),
        (9, "koordinator_kehumasan", None),
        (10, "koordinator_kehumasan", None),
        (11, "koordinator_kehumasan", None),
    ],
    "bkk-palembang": [
        (1, "requester", "60 Menit"),
        (2, "tim_ppid", "15 Menit"),
        (3, "pranata_humas", "120 Menit"),
        (4, "tim_ppid", "60 Menit"),
        (5, "kepala_balai", "30 Menit"),
        (6, "kepala_balai", "60 Menit"),
        (7, "tim_ppid", "15 Menit"),
        (8, "tim_ppid", "15 Menit"),
        (9, "tim_ppid", None),
    ],
}

ROLES = {
    "ismki": {"ict"},
    "rspon": {"ipkp", "subkoordinator_humas", "tim_humas", "koordinator_substansi", "direksi"},
    "unej": {"wakil_rektor_3", "kepala_bpkh", "koordinator_pkih", "wakil_koordinator_humas", "petugas"},
    "ub-fisip": {"koordinator_kehumasan", "staf_kehumasan"},
    "bkk-palembang": {"pranata_humas", "tim_ppid", "kepala_balai"},
}

SOURCES = {
    "ismki": "000_e3d4d8ae51e2a12c.txt",
    "rspon": "001_ed562d592b8ec8e9.txt",
    "unej": "002_5ccb16769203ecfd.txt",
    "ub-fisip": "003_8ef7917f87988643.txt",
    "bkk-palembang": "004_72cc388d3b10668c.txt",
}

# The request steps in order, as a request walks them on the happy path.
HAPPY_PATH = {
    "ismki": ["kirim", "konfirmasi", "quality_control", "publikasi"],
    "rspon": ["pengajuan", "pembuatan_konten", "disposisi", "penyuntingan", "verifikasi",
              "penyerahan_direksi", "persetujuan_direksi", "pengunggahan"],
    "unej": ["disposisi", "pemilihan_media", "instruksi_koordinator", "cek_narasi",
             "instruksi_publikasi", "push_info", "arsip"],
    "ub-fisip": ["konsep_konten", "kebutuhan_teknis", "desain", "persetujuan_konsep", "produksi",
                 "pemeriksaan_ulang", "posting"],
    "bkk-palembang": ["penyampaian_data", "instruksi_penulisan", "penulisan", "verifikasi", "persetujuan",
                      "penugasan_upload", "upload", "arsip"],
}

_UNITS = {"menit": "minutes", "jam": "hours", "hari": "days"}


def waktu(text: str | None) -> timedelta | None:
    """The document's own wording ("15 menit", "1 jam", "1 hari", "120 Menit") as a timedelta."""
    if text is None:
        return None
    amount, unit = re.fullmatch(r"(\d+) (\w+)", text).groups()
    return timedelta(**{_UNITS[unit.lower()]: int(amount)})


def staff(*roles: str, person_id: int = 50) -> Actor:
    return Actor(person_id=person_id, roles=frozenset(roles), name="staf")


def content() -> Content:
    return Content(
        title="Seminar Nasional", organisation="Universitas Jember", media=[PHOTO],
        caption="Seminar nasional kesehatan", contact=Contact(name="Sari", phone="0812"), notes="-",
    )


def begin(name: str) -> tuple[Flow, Outcome]:
    flow = load_flow(name)
    return flow, start(flow, "PUB-2026-0001", content(), CLIENT, NOW)


def actor_for(flow: Flow, role: str) -> Actor:
    if role == REQUESTER:
        return CLIENT
    return staff(role)


def forward(flow: Flow, state: RequestState, act: Act | None = None, note: str = "ok") -> Outcome:
    """The current step's actor does its forward act (or `act`)."""
    step = flow.step(state.step_id)
    act = act or allowed_acts(step)[0]
    uploads = act == Act.UPLOAD
    media = (PHOTO,) if uploads and "image" in step.produces else ()
    text = "Berita 5W+1H" if uploads and not media else None  # a step that writes
    channels = tuple(flow.rules.channels[:2]) if act == Act.CHOOSE_CHANNELS else ()
    action = Action(act, step.id, state.version, note=note, media=media, text=text, channels=channels)
    return apply(flow, state, action, actor_for(flow, step.role), NOW)


def walk_to(flow: Flow, state: RequestState, step_id: str) -> RequestState:
    while state.step_id != step_id:
        state = forward(flow, state).state
    return state


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_flow_follows_its_document(name: str) -> None:
    flow = load_flow(name)
    assert flow.name == name
    assert flow.source == SOURCES[name]
    assert flow.role_ids == ROLES[name]
    table = [(step.number, step.role, step.standard) for step in flow.steps]
    assert table == [(number, role, waktu(text)) for number, role, text in EXPECTED[name]]
    assert [step.id for step in flow.request_steps] == HAPPY_PATH[name]
    for step in flow.steps:
        assert step.name.id and step.name.en, step.id


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_happy_path_ends_done(name: str) -> None:
    flow, outcome = begin(name)
    visited = [outcome.state.step_id]
    state = outcome.state
    if flow.first_step().kind == Kind.SUBMIT:
        visited.insert(0, flow.first_step().id)
    while state.status == Status.ACTIVE:
        state = forward(flow, state).state
        if state.status == Status.ACTIVE:
            visited.append(state.step_id)
    assert state.status == Status.DONE
    assert visited == HAPPY_PATH[name]


def test_procedure_rows_are_never_entered() -> None:
    fisip = load_flow("ub-fisip")
    assert [s.number for s in fisip.steps if s.scope == "procedure"] == [1, 9, 10, 11]
    assert {s.kind for s in fisip.steps if s.number in (9, 10, 11)} == {Kind.EVALUATE}
    assert fisip.step("penetapan_prosedur").kind == Kind.INSTRUCT
    assert fisip.first_step().number == 2
    bkk = load_flow("bkk-palembang")
    assert [s.number for s in bkk.steps if s.scope == "procedure"] == [9]
    assert bkk.next_step("arsip") is None


def test_client_submission_row_is_done_by_submitting() -> None:
    for name, next_id in (("rspon", "pembuatan_konten"), ("bkk-palembang", "instruksi_penulisan"),
                          ("ismki", "konfirmasi")):
        flow, outcome = begin(name)
        assert outcome.state.step_id == next_id
        assert outcome.events[0].act == Act.SUBMIT and outcome.events[0].role == REQUESTER
        assert outcome.notices[-1].kind == "prompt"
        assert outcome.notices[-1].role == flow.step(next_id).role
    for name in ("unej", "ub-fisip"):
        flow, outcome = begin(name)
        assert outcome.state.step_id == flow.first_step().id


def test_document_wording_kept() -> None:
    rspon = load_flow("rspon")
    assert rspon.step("disposisi").needs == "Nota Dinas"
    assert rspon.step("disposisi").output == "Disposisi"
    assert rspon.step("pengajuan").name.id.startswith("Unit Kerja mengajukan surat permohonan")
    unej = load_flow("unej")
    assert unej.step("disposisi").needs == "Lembar disposisi"
    assert unej.step("disposisi").output == "Informasi untuk disampaikan"
    assert unej.step("pemilihan_media").output == "Pemilihan jenis Sosial media yang akan digunakan"
    assert "push-info" in unej.step("push_info").name.id
    assert unej.working_hours is None
    bkk = load_flow("bkk-palembang")
    assert bkk.step("penulisan").needs == "File poto, video, laporan liputan"
    assert "5W + 1H" in bkk.step("penulisan").name.id
    assert bkk.step("penyampaian_data").name.id.startswith("Subbag/Tim Kerja")
    ismki = load_flow("ismki")
    assert ismki.step("quality_control").output == "Bahan publikasi dengan footer ISMKI"
    assert ismki.rules.footer is not None
    assert ismki.rules.footer.lines == ["#ISMKISATU", "@ismki_indonesia | www.ismki.org"]
    assert ismki.auto_archive and not ismki.rules.allow_revision


def test_supervision_and_reporting() -> None:
    expected = {
        "rspon": ("direksi", "direksi", None),
        "unej": ("wakil_rektor_3", "wakil_rektor_3", None),  # the top: his lateness goes to no one below
        "ub-fisip": ("koordinator_kehumasan", "koordinator_kehumasan", "07:30-16:00"),
        "bkk-palembang": ("kepala_balai", "kepala_balai", "07:30-16:00"),
    }
    for name, (supervisor, report_to, hours) in expected.items():
        flow = load_flow(name)
        assert (flow.supervisor, flow.report_to, flow.working_hours) == (supervisor, report_to, hours), name
    # UNEJ serves inside and outside working hours; ISMKI publishes every day.
    assert load_flow("unej").working_days == list(range(7))
    assert load_flow("ismki").working_days == list(range(7))


# --- NO branches -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "at", "back_to"),
    [
        ("rspon", "verifikasi", "penyuntingan"),
        ("rspon", "persetujuan_direksi", "penyuntingan"),
        ("ub-fisip", "persetujuan_konsep", "desain"),
        ("ub-fisip", "pemeriksaan_ulang", "produksi"),
        ("bkk-palembang", "verifikasi", "penulisan"),
        ("bkk-palembang", "persetujuan", "verifikasi"),
    ],
)
def test_no_sends_back_to_the_named_step(name: str, at: str, back_to: str) -> None:
    flow, outcome = begin(name)
    assert flow.step(at).on_no == back_to
    state = walk_to(flow, outcome.state, at)
    assert Act.REJECT in allowed_acts(flow.step(at))
    result = forward(flow, state, Act.REJECT, note="Perbaiki narasinya")
    assert result.state.status == Status.ACTIVE
    assert result.state.step_id == back_to
    prompt = result.notices[-1]
    assert (prompt.kind, prompt.step_id, prompt.role) == ("prompt", back_to, flow.step(back_to).role)
    decision = result.notices[0]
    assert (decision.kind, decision.role, decision.act, decision.note) == (
        "decision", None, Act.REJECT, "Perbaiki narasinya")
    # and from there the request can still reach the end
    state = result.state
    while state.status == Status.ACTIVE:
        state = forward(flow, state).state
    assert state.status == Status.DONE


def test_ismki_quality_control_offers_no_return_and_no_rejects() -> None:
    flow, outcome = begin("ismki")
    qc = flow.step("quality_control")
    assert qc.on_no == REJECT
    assert allowed_acts(qc) == [Act.APPROVE, Act.REJECT]
    state = walk_to(flow, outcome.state, "quality_control")
    with pytest.raises(Refused) as refused:
        forward(flow, state, Act.RETURN, note="Perbaiki caption")
    assert refused.value.reason == "not_allowed"
    result = forward(flow, state, Act.REJECT, note="Poster tidak sesuai ketentuan")
    assert result.state.status == Status.REJECTED
    assert [n.kind for n in result.notices] == ["decision", "closed"]
    assert all(n.role is None for n in result.notices)  # both go to the requester


def test_ismki_auto_archives_after_publication() -> None:
    flow, outcome = begin("ismki")
    state = walk_to(flow, outcome.state, "publikasi")
    result = forward(flow, state)
    assert result.state.status == Status.DONE
    assert [e.act for e in result.events] == [Act.PUBLISH, Act.ARCHIVE]


def test_unej_return_to_client_then_resubmit_reenters_at_the_check() -> None:
    flow, outcome = begin("unej")
    check = flow.step("cek_narasi")
    assert allowed_acts(check) == [Act.APPROVE, Act.RETURN]
    state = walk_to(flow, outcome.state, "cek_narasi")
    assert state.content.channels == flow.rules.channels[:2]  # chosen at row 2
    returned = forward(flow, state, Act.RETURN, note="Narasi kurang lengkap").state
    assert returned.status == Status.RETURNED
    assert returned.returned_from == "cek_narasi"
    revised = content().model_copy(update={"caption": "Narasi yang sudah diperbaiki"})
    result = resubmit(flow, returned, revised, CLIENT, NOW)
    assert result.state.version == 2
    assert result.state.step_id == "cek_narasi"
    assert result.state.status == Status.ACTIVE
    assert result.state.content.caption == "Narasi yang sudah diperbaiki"
    assert [(n.kind, n.role) for n in result.notices] == [("prompt", "wakil_koordinator_humas")]
    state = result.state
    while state.status == Status.ACTIVE:
        state = forward(flow, state).state
    assert state.status == Status.DONE


def test_unej_channels_must_be_the_office_media() -> None:
    flow, outcome = begin("unej")
    state = walk_to(flow, outcome.state, "pemilihan_media")
    action = Action(Act.CHOOSE_CHANNELS, "pemilihan_media", state.version, channels=("tiktok",))
    with pytest.raises(Refused) as refused:
        apply(flow, state, action, staff("kepala_bpkh"), NOW)
    assert refused.value.reason == "bad_channels"


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_actor_without_the_role_is_refused(name: str) -> None:
    flow, outcome = begin(name)
    state = outcome.state
    step = flow.step(state.step_id)
    outsider = staff("someone_else", person_id=99)
    with pytest.raises(Refused) as refused:
        apply(flow, state, Action(allowed_acts(step)[0], step.id, state.version), outsider, NOW)
    assert refused.value.reason == "no_role"
    assert flow.role_name(step.role) in refused.value.message("id")


def test_requester_step_refuses_other_people() -> None:
    flow, outcome = begin("ismki")
    state = outcome.state
    assert state.step_id == "konfirmasi"
    other = Actor(person_id=2, roles=frozenset({"ict"}))
    with pytest.raises(Refused) as refused:
        apply(flow, state, Action(Act.CONFIRM, "konfirmasi", 1), other, NOW)
    assert refused.value.reason == "no_role"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_old_step_stale_version_and_closed_are_refused(name: str) -> None:
    flow, outcome = begin(name)
    first = outcome.state
    old_step = flow.step(first.step_id)
    second = forward(flow, first).state
    old = Action(allowed_acts(old_step)[0], old_step.id, first.version, note="x")
    with pytest.raises(Refused) as refused:
        apply(flow, second, old, actor_for(flow, old_step.role), NOW)
    assert refused.value.reason == "not_current"

    step = flow.step(second.step_id)
    stale = Action(allowed_acts(step)[0], step.id, second.version - 1, note="x")
    if second.version == 1:
        stale = Action(allowed_acts(step)[0], step.id, second.version + 1, note="x")
    with pytest.raises(Refused) as refused:
        apply(flow, second, stale, actor_for(flow, step.role), NOW)
    assert refused.value.reason == "stale_version"

    state = second
    while state.status == Status.ACTIVE:
        last = flow.step(state.step_id)
        state = forward(flow, state).state
    with pytest.raises(Refused) as refused:
        late = Action(allowed_acts(last)[0], last.id, state.version)
        apply(flow, state, late, actor_for(flow, last.role), NOW)
    assert refused.value.reason == "closed"


def test_produce_steps_raise_the_version_and_old_buttons_go_stale() -> None:
    flow, outcome = begin("rspon")
    state = outcome.state
    assert state.step_id == "pembuatan_konten" and state.version == 1
    uploaded = forward(flow, state).state
    assert uploaded.version == 2 and uploaded.content.media == [PHOTO]
    without_file = Action(Act.UPLOAD, "penyuntingan", 2)
    state = walk_to(flow, uploaded, "penyuntingan")
    with pytest.raises(Refused) as refused:
        apply(flow, state, without_file, staff("tim_humas"), NOW)
    assert refused.value.reason == "media_required"
    edited = forward(flow, state).state
    with pytest.raises(Refused) as refused:
        apply(flow, edited, Action(Act.APPROVE, "verifikasi", 2), staff("subkoordinator_humas"), NOW)
    assert refused.value.reason == "stale_version"


# Lateness is never escalated downwards (issue 15): per shipped flow, who is above whom as the
# SOP documents show it (the columns from left to right, the disposition going down).
HIERARCHY = {
    "default": ["direktur", "koordinator", "wakil_koordinator", "petugas"],
    "unej": ["wakil_rektor_3", "kepala_bpkh", "koordinator_pkih", "wakil_koordinator_humas", "petugas"],
    "rspon": ["direksi", "koordinator_substansi", "subkoordinator_humas", "tim_humas"],
    "ub-fisip": ["koordinator_kehumasan", "staf_kehumasan"],
    "bkk-palembang": ["kepala_balai", "tim_ppid", "pranata_humas"],
    "ismki": ["ict"],
}


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_lateness_goes_up_the_hierarchy_never_down(name):
    flow = load_flow(name)
    ranks = {role: i for i, role in enumerate(HIERARCHY[name])}
    for step in flow.request_steps:
        if step.standard is None:
            continue
        target = flow.escalation_role(step, "admin")
        if step.role in ranks and step.role != HIERARCHY[name][0]:
            assert target in flow.above(step.role), (step.id, target)
            assert ranks.get(target, -1) < ranks[step.role], (step.id, target)
        elif step.role == HIERARCHY[name][0]:
            assert target is None, f"{step.id}: the top of the hierarchy escalates to no one, not {target}"
        else:  # the requester, or a unit outside the chain (RSPON's IPKP): someone in the office hears
            assert target in flow.role_ids, (step.id, target)


def test_unej_wakil_rektor_is_not_escalated_to_his_subordinate():
    flow = load_flow("unej")
    assert flow.escalation_role(flow.step("disposisi"), "admin") is None
    assert flow.escalation_role(flow.step("pemilihan_media"), "admin") == "wakil_rektor_3"
    assert flow.escalation_role(flow.step("push_info"), "admin") == "wakil_koordinator_humas"


# Text as a step's output (BKK rows 3 and 4) -------------------------------------------------


def test_bkk_writing_step_takes_a_text_and_refuses_a_poster() -> None:
    flow, outcome = begin("bkk-palembang")
    state = walk_to(flow, outcome.state, "penulisan")
    writer = actor_for(flow, "pranata_humas")
    with pytest.raises(Refused) as refused:
        apply(flow, state, Action(Act.UPLOAD, "penulisan", state.version, media=(PHOTO,)), writer, NOW)
    assert refused.value.reason == "output_kind"
    article = "Palembang (26/11) - BKK Kelas I Palembang menggelar vaksinasi..."
    written = apply(flow, state, Action(Act.UPLOAD, "penulisan", state.version, text=article), writer, NOW)
    assert written.state.content.text == article and written.state.version == state.version + 1
    assert written.state.content.caption == state.content.caption, "the unit's own text is kept"
    assert written.events[0].data["produced"] == ["text"]
    assert written.state.step_id == "verifikasi"


def test_bkk_verification_approves_with_the_corrected_text_or_without_a_change() -> None:
    flow, outcome = begin("bkk-palembang")
    state = walk_to(flow, outcome.state, "verifikasi")
    ppid = actor_for(flow, "tim_ppid")
    corrected = apply(flow, state, Action(Act.APPROVE, "verifikasi", state.version, text="Teks terkoreksi"),
                      ppid, NOW)
    assert (corrected.state.content.text, corrected.state.version) == ("Teks terkoreksi", state.version + 1)
    as_is = apply(flow, state, Action(Act.APPROVE, "verifikasi", state.version), ppid, NOW)
    assert as_is.state.version == state.version and as_is.state.step_id == "persetujuan"


def test_an_approval_carries_no_output_where_the_step_names_none() -> None:
    flow, outcome = begin("bkk-palembang")
    state = walk_to(flow, outcome.state, "persetujuan")
    with pytest.raises(Refused) as refused:
        apply(flow, state, Action(Act.APPROVE, "persetujuan", state.version, text="x"),
              actor_for(flow, "kepala_balai"), NOW)
    assert refused.value.reason == "output_kind"


def test_sop_rows_number_the_cards_as_the_document_does() -> None:
    ub = load_flow("ub-fisip")
    assert [ub.row(s.id) for s in ub.request_steps][:2] == [(2, 11), (3, 11)]  # rows 1, 9-11: procedure
    ismki = load_flow("ismki")  # no numbered table: the position among the request's steps
    assert ismki.row("konfirmasi") == (2, 4)


def test_offices_name_their_own_audiences() -> None:
    for name in ("rspon", "bkk-palembang"):
        audiences = load_flow(name).rules.audiences
        assert "mahasiswa" not in audiences and "dosen" not in audiences, name
    assert "pasien" in load_flow("rspon").rules.audiences
    assert "website" in load_flow("bkk-palembang").rules.channels  # row 7: social media and website
