"""The SMPP connector's link: bind modes, TLS, a carrier that is down or drops us, idle
probes, refused binds and a graceful stop."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from tests.delivery.connectors.smpp.fake_smsc import (
    FakeSmsc,
    RecordingSink,
    Script,
    message,
    running,
    wait_until,
    wall_clock,
)

from relais.core.status import MessageStatus
from relais.delivery.connectors.smpp.config import SmppSettings
from relais.delivery.connectors.smpp.connector import SmppConnector
from relais.smpp import EnquireLink, Unbind


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(port: int, **options: object) -> SmppSettings:
    base: dict[str, object] = {
        "name": "carrier",
        "host": "127.0.0.1",
        "port": port,
        "system_id": "relais",
        "password": "secret",
        "reconnect_min_s": 0.02,
        "reconnect_max_s": 0.05,
    }
    return SmppSettings.from_mapping(base | options)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, by `cryptography` or else the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        _cert_with_cryptography(cert, key)
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor openssl is available")
        command = (
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
            " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
        )
        subprocess.run(
            [*command.split(), "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
    return cert, key


def _cert_with_cryptography(cert_path: Path, key_path: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


async def test_connector_binds_transceiver() -> None:
    async with running() as (smsc, connector, _):
        status = connector.status()

    assert smsc.binds == ["transceiver"]
    assert status.bound and status.detail.startswith("bound to 127.0.0.1")


async def test_connector_binds_transmitter_and_receiver() -> None:
    script = Script(receipts=True)
    async with running(script, bind_mode="transmitter+receiver") as (smsc, connector, sink):
        assert sorted(smsc.binds) == ["receiver", "transmitter"]
        (outcome,) = await connector.submit([message(1)])
        await wait_until(lambda: len(sink.receipt_list) == 1)

    assert outcome.status is MessageStatus.SENT
    assert sink.receipt_list[0].carrier_ids[0] == outcome.carrier_ids[0]
    assert smsc.unbinds == 2


async def test_connector_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    smsc = FakeSmsc(tls=server_tls)
    port = await smsc.start()
    connector = SmppConnector(settings(port, tls=True, tls_ca_file=str(cert)), clock=wall_clock)
    await connector.start(RecordingSink())
    try:
        assert await connector.wait_bound(5)
        (outcome,) = await connector.submit([message(1)])
    finally:
        await connector.stop()
        await smsc.stop()

    assert outcome.status is MessageStatus.SENT
    assert smsc.unbinds == 1


async def test_connector_tls_refuses_an_unknown_certificate(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    smsc = FakeSmsc(tls=server_tls)
    port = await smsc.start()
    connector = SmppConnector(settings(port, tls=True), clock=wall_clock)  # system CAs only
    await connector.start(RecordingSink())
    try:
        await wait_until(lambda: connector.status().errors >= 1)
        status = connector.status()
    finally:
        await connector.stop()
        await smsc.stop()

    assert not status.bound
    assert "CERTIFICATE_VERIFY_FAILED" in status.detail


async def test_connector_start_with_smsc_down_does_not_raise() -> None:
    port = free_port()
    connector = SmppConnector(settings(port), clock=wall_clock)
    await connector.start(RecordingSink())
    smsc = FakeSmsc()
    try:
        await wait_until(lambda: "reconnecting in" in connector.status().detail)
        status = connector.status()
        (outcome,) = await connector.submit([message(1)])
        await smsc.start(port)  # the carrier comes back
        assert await connector.wait_bound(5)
    finally:
        await connector.stop()
        await smsc.stop()

    assert not status.bound and status.errors >= 1
    assert f"cannot bind to 127.0.0.1:{port}" in status.detail
    assert outcome.status is MessageStatus.QUEUED
    assert outcome.retry_after_ms is not None and outcome.retry_after_ms >= 20


async def test_connector_reconnects_after_smsc_drops_connection() -> None:
    async with running(Script(drop_after=3)) as (smsc, connector, _):
        outcomes = await connector.submit([message(i) for i in range(1, 6)])
        await wait_until(lambda: smsc.connections == 2 and connector.status().bound)
        later = await connector.submit([message(i) for i in range(4, 6)])

    assert [o.status for o in outcomes] == [MessageStatus.SENT] * 3 + [MessageStatus.QUEUED] * 2
    assert [o.status for o in later] == [MessageStatus.SENT] * 2
    assert "session lost" in connector._last_error


async def test_connector_refused_bind_reports_the_status() -> None:
    smsc = FakeSmsc(Script(password="other"))
    port = await smsc.start()
    connector = SmppConnector(settings(port), clock=wall_clock)
    await connector.start(RecordingSink())
    try:
        await wait_until(lambda: "reconnecting in" in connector.status().detail)
        status = connector.status()
    finally:
        await connector.stop()
        await smsc.stop()

    assert not status.bound
    assert "ESME_RINVPASWD" in status.detail


async def test_session_probes_an_idle_link_with_enquire_link() -> None:
    async with running(enquire_link_interval_s=0.05) as (smsc, connector, _):
        await wait_until(lambda: smsc.enquire_links >= 2)
        smsc.probe_clients(EnquireLink)
        await wait_until(lambda: smsc.link_answers == 1)
        assert connector.status().bound


async def test_connector_rebinds_after_the_smsc_unbinds() -> None:
    async with running() as (smsc, connector, _):
        smsc.probe_clients(Unbind)
        await wait_until(lambda: smsc.connections == 2 and connector.status().bound)
        (outcome,) = await connector.submit([message(1)])

    assert smsc.link_answers == 1  # our unbind_resp
    assert outcome.status is MessageStatus.SENT


async def test_connector_stop_unbinds_gracefully() -> None:
    async with running() as (smsc, connector, _):
        pass

    assert smsc.unbinds == 1
    status = connector.status()
    assert not status.bound and status.detail == "stopped"
    (outcome,) = await connector.submit([message(1)])
    assert outcome.status is MessageStatus.QUEUED
