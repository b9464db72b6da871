"""C2SP signed-note and tlog-checkpoint: the specification's own examples, and our notes."""

from __future__ import annotations

import base64

import pytest

from service.checkpoints import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    key_id,
    open_checkpoint,
    split_note,
)

# From the C2SP signed-note specification ("Example" under "Verifier keys").
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3m"
    "FXmRKuwHjG1Yu72IneyaQM=\n"
)
# From the C2SP tlog-checkpoint specification (its signature is by a key the spec does not give).
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
# The signed-note specification's opening example (a poem; its key is not published).
SPEC_POEM = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    "\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMou"
    "FSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def test_the_spec_vkey_verifies_the_spec_note() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    assert verifier.id.hex() == "530d903a"
    assert key_id("example.com/foo", verifier.public) == bytes.fromhex("530d903a")
    assert verifier.vkey == SPEC_VKEY
    assert verifier.open(SPEC_NOTE) == "This is an example message.\n"


def test_a_changed_byte_of_the_spec_note_fails() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    with pytest.raises(NoteError, match="bad signature"):
        verifier.open(SPEC_NOTE.replace("example message", "example massage"))


def test_the_spec_poem_parses_with_its_blank_line_kept_in_the_text() -> None:
    text, signatures = split_note(SPEC_POEM)
    assert text.endswith("sole:\n\ned è subito sera.\n")
    assert signatures[0][0] == "quasimodo.example/salvatore"
    with pytest.raises(NoteError, match="no signature by"):
        Verifier.from_vkey(SPEC_VKEY).open(SPEC_POEM)  # another key's signature is ignored


def test_the_spec_checkpoint_parses() -> None:
    text, signatures = split_note(SPEC_CHECKPOINT)
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.text == text
    assert len(signatures[0][1]) == 4 + 64


def test_our_checkpoints_round_trip_and_carry_the_key_id() -> None:
    signer = Signer.generate("draa.example/ledger")
    assert Signer.from_skey(signer.skey).verifier == signer.verifier
    checkpoint = Checkpoint("draa.example/ledger", 42, bytes(range(32)))
    note = signer.sign(checkpoint.text)
    assert open_checkpoint(note, Verifier.from_vkey(signer.verifier.vkey)) == checkpoint
    _, [(name, signature)] = split_note(note)
    assert name == "draa.example/ledger"
    assert signature[:4] == signer.verifier.id
    other = Signer.generate("draa.example/ledger")
    with pytest.raises(NoteError):
        open_checkpoint(note, other.verifier)
    with pytest.raises(NoteError, match="names the log"):
        open_checkpoint(note, signer.verifier, "elsewhere.example/log")


@pytest.mark.parametrize(
    "text",
    ["o\n01\nAAAA\n", "o\n-1\nAAAA\n", "o\n1\n" + base64.b64encode(b"x" * 31).decode() + "\n",
     "o\n1\n", "\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"],
)  # fmt: skip
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    "vkey",
    ["example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
     "example.com/foo+530d903a", "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
     "example.com/foo+530d903a+AmkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"],
)  # fmt: skip
def test_malformed_or_mismatched_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


def test_a_witness_accepts_growth_from_the_empty_tree_without_asking_a_proof(
    tmp_path: object,
) -> None:
    from web.cli import witness as w

    empty = Checkpoint("o.example/log", 0, bytes(32))
    grown = Checkpoint("o.example/log", 5, bytes(range(32)))
    w._check_consistent("http://127.0.0.1:9/unreachable", empty, grown)  # no request made
    with pytest.raises(w.WitnessError, match="shrank"):
        w._check_consistent("http://127.0.0.1:9/unreachable", grown, empty)
    with pytest.raises(w.WitnessError, match="fork"):
        w._check_consistent("http://127.0.0.1:9/", grown, Checkpoint("o.example/log", 5, bytes(32)))
