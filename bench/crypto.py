"""sign/s and verify/s, ours against the Digital Bazaar JavaScript libraries on the same documents in the same run.

Two documents: the service's own OB 3.0 volunteer credential (issued through the real path: record, status entries,
signature, stored) and the W3C vc-di-eddsa test vector. Each run signs a stream of distinct documents of that
shape (as an issuing service does) and verifies the signed stream; Python and Node alternate run by run, and the
ratio is the median of the paired per-run ratios. Signatures must be byte-identical on both sides.
"""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass

from bench.common import (
    INTEROP,
    REFERENCE,
    REPO,
    Timing,
    bench_organisation,
    bench_runtime,
    issue_records,
    median_ratio,
    section,
    timed,
)

CREATED = "2026-06-30T12:00:00Z"


@dataclass
class Case:
    name: str
    unsigned: list[dict]
    key: dict  # secretKeyMultibase, publicKeyMultibase, verificationMethod
    controllers: dict  # URL -> controller document, for the loaders of both sides
    sign_mode: str  # the harness's "vc" (@digitalbazaar/vc issue) or "jsigs"


def service_case(count: int) -> tuple[Case, callable]:
    """The service's own credentials, and a function verifying one with every check the service makes."""
    from credentials.proofs.dataintegrity import without_proof
    from issuers import service as issuers
    from issuers.multikey import encode_ed25519_secret, encode_public_multikey
    from issuers.store import OrganisationRow
    from verify.store import verify_with_service

    runtime_cm = bench_runtime()
    runtime = runtime_cm.__enter__()
    organisation_id, _ = bench_organisation(runtime)
    issued = issue_records(runtime, organisation_id, count)
    with runtime.transaction() as session:
        org = session.get(OrganisationRow, organisation_id)
        identity = issuers.signing_identity(session, runtime.issuer_context, org)
        did_document = issuers.organisation_did_document(session, org, runtime.issuer_context.base_url)
    key = {
        "secretKeyMultibase": encode_ed25519_secret(identity.private_key),
        "publicKeyMultibase": encode_public_multikey(identity.private_key.public_key()),
        "verificationMethod": identity.verification_method,
    }
    case = Case(
        "service OB 3.0 credential",
        [without_proof(item.document) for item in issued],
        key,
        {identity.issuer_did: did_document},
        "vc",
    )
    documents = [item.document for item in issued]

    def verify_all():
        for document in documents:  # as `POST /credentials/verify` does it
            outcome = verify_with_service(runtime.session_factory, runtime.issuer_context, document)
            if not outcome.verified:
                raise AssertionError(f"the service's verifier refused its own credential: {outcome.verdict}")

    case.cleanup = lambda: runtime_cm.__exit__(None, None, None)
    case.service_verify = verify_all
    return case


def vector_case(count: int) -> Case:
    from issuers.multikey import did_key_for, did_key_verification_method_id

    pair = json.loads((REFERENCE / "vectors/eddsa-rdfc-2022/keyPair.json").read_text())
    unsigned = json.loads((REFERENCE / "vectors/eddsa-rdfc-2022/unsigned.json").read_text())
    documents = []
    for i in range(count):
        document = copy.deepcopy(unsigned)
        document["id"] = f"urn:uuid:58172aac-d8ba-11ed-83dd-{i:012x}"
        document["credentialSubject"]["alumniOf"] = f"The School of Examples {i}"
        documents.append(document)
    key = {
        "secretKeyMultibase": pair["privateKeyMultibase"],
        "publicKeyMultibase": pair["publicKeyMultibase"],
        "verificationMethod": did_key_verification_method_id(did_key_for(pair["publicKeyMultibase"])),
    }
    case = Case("W3C vc-di-eddsa vector", documents, key, {}, "jsigs")
    case.cleanup = lambda: None
    case.service_verify = None
    return case


def python_side(case: Case, runs: int) -> tuple[Timing, Timing, list[dict]]:
    from credentials.proofs.dataintegrity import Ed25519Signature, sign, verify
    from credentials.proofs.jsonld import DocumentLoader
    from issuers.multikey import decode_secret_multikey

    suite = Ed25519Signature(decode_secret_multikey(case.key["secretKeyMultibase"]))
    signing_loader = DocumentLoader(documents=case.controllers) if case.controllers else None
    from credentials.common import credential_loader

    signing_loader = credential_loader()
    verifying_loader = DocumentLoader(documents=case.controllers)
    signed: list[dict] = []

    def sign_all():
        signed[:] = [
            sign(
                document,
                suite=suite,
                verification_method=case.key["verificationMethod"],
                created=CREATED,
                loader=signing_loader,
            )
            for document in case.unsigned
        ]

    def verify_all():
        for document in signed:
            if not verify(document, loader=verifying_loader).verified:
                raise AssertionError("our verifier refused our own signature")

    return timed(sign_all, len(case.unsigned), runs), timed(verify_all, len(case.unsigned), runs), signed


def node_side(case: Case, signed: list[dict], runs: int) -> tuple[Timing, Timing, list[dict]]:
    request = {
        "documents": case.unsigned,
        "signed": signed,
        "key": case.key,
        "created": CREATED,
        "controllers": case.controllers,
        "mode": case.sign_mode,
        "runs": runs,
    }
    completed = subprocess.run(
        ["node", str(REPO / "bench/js/crypto.mjs")],
        input=json.dumps(request),
        text=True,
        capture_output=True,
        cwd=INTEROP,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"node bench/js/crypto.mjs failed: {completed.stderr[-2000:]}")
    reply = json.loads(completed.stdout)
    count = len(case.unsigned)
    return (
        Timing(count, reply["sign"]["wall"], reply["sign"]["cpu"]),
        Timing(count, reply["verify"]["wall"], reply["verify"]["cpu"]),
        reply["signed"],
    )


def run(quick: bool = False) -> dict:
    count, runs, rounds = (20, 3, 1) if quick else (100, 5, 3)
    results = {}
    for make in (service_case, vector_case):
        case = make(count)
        try:
            results[case.name] = measure(case, runs, rounds)
        finally:
            case.cleanup()
    return results


def measure(case: Case, runs: int, rounds: int) -> dict:
    """`rounds` alternating Python/Node blocks of `runs` runs each; ratios from the paired medians of the blocks."""
    section(
        f"crypto: {case.name} ({len(case.unsigned)} distinct documents per run, "
        f"{len(json.dumps(case.unsigned[0]))} bytes each)"
    )
    ours_sign, ours_verify, theirs_sign, theirs_verify = [], [], [], []
    identical = None
    for _ in range(rounds):
        sign_t, verify_t, signed = python_side(case, runs)
        js_sign, js_verify, js_signed = node_side(case, signed, runs)
        identical = js_signed[0] == signed[0] if identical is None else identical and js_signed[0] == signed[0]
        ours_sign.append(sign_t), ours_verify.append(verify_t)
        theirs_sign.append(js_sign), theirs_verify.append(js_verify)
    out = {"byte_identical": identical}
    for label, ours, theirs in (("sign", ours_sign, theirs_sign), ("verify", ours_verify, theirs_verify)):
        wall_o = [t for timing in ours for t in timing.wall]
        wall_t = [t for timing in theirs for t in timing.wall]
        cpu_o = [t for timing in ours for t in timing.cpu]
        cpu_t = [t for timing in theirs for t in timing.cpu]
        o = Timing(ours[0].count, wall_o, cpu_o)
        t = Timing(theirs[0].count, wall_t, cpu_t)
        ratio, cpu_ratio = median_ratio(wall_o, wall_t), median_ratio(cpu_o, cpu_t)
        print(
            f"{label:6} python {o.rate:7.1f}/s ({o.cpu_rate:7.1f}/CPU-s)   javascript {t.rate:7.1f}/s "
            f"({t.cpu_rate:7.1f}/CPU-s)   ratio x{ratio:.2f} wall, x{cpu_ratio:.2f} CPU",
            flush=True,
        )
        out[label] = {
            "python_per_s": o.rate,
            "python_per_cpu_s": o.cpu_rate,
            "js_per_s": t.rate,
            "js_per_cpu_s": t.cpu_rate,
            "ratio_wall": ratio,
            "ratio_cpu": cpu_ratio,
        }
    print(f"same proof, byte for byte, as the JavaScript libraries: {'yes' if identical else 'NO'}")
    if case.service_verify is not None:
        timing = timed(case.service_verify, len(case.unsigned), max(2, runs // 2))
        print(
            f"service verifier, every check (registry, key history, status lists, dates): {timing.rate:7.1f}/s "
            f"({timing.cpu_rate:.1f}/CPU-s, {timing.cpu_ms:.2f} ms CPU each)"
        )
        out["service_verify_per_s"], out["service_verify_per_cpu_s"] = timing.rate, timing.cpu_rate
    return out
