"""Subjects and helpers the compiler tests share."""

from __future__ import annotations

from agent.prompts import CompiledPrompt, SubjectRef, compile_prompt

REX = SubjectRef("sub-rex", "Rex", "dog", "sks")
TOM = SubjectRef("sub-tom", "Tom", "cat", "zwx")
PACK = SubjectRef("sub-pack", "Blue Pack", "backpack", "qrt")
ANNA = SubjectRef("sub-anna", "Anna", "woman", "vpk")
POT = SubjectRef("sub-pot", "Kettle", "teapot", "tpq")
FIDO = SubjectRef("sub-fido", "Fido", "dog", "fdo")
MINE = [REX, TOM, PACK, ANNA, POT]


def compiled(text: str, subjects=MINE, **kwargs) -> CompiledPrompt:
    result = compile_prompt(text, subjects, **kwargs)
    assert isinstance(result, CompiledPrompt), f"{text!r} → {result!r}"
    return result


def prompt(text: str, subjects=MINE, **kwargs) -> str:
    return compiled(text, subjects, **kwargs).prompt
