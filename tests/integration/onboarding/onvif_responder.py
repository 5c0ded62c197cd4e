"""A small SOAP responder answering the four ONVIF calls onboarding makes (GetCapabilities,
GetDeviceInformation, GetProfiles, GetStreamUri) with camera-style XML, and checking the
WS-Security password digest like a camera does.

Honest scope: this XML was written from the ONVIF ver10 schemas in the shape typical IP cameras
answer (two H.264 profiles, main then sub), not captured from a device here; no ONVIF camera
is available on this machine. It exercises onvif-zeep's real WSDL parsing and our profile
choice, not any particular vendor's quirks.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:ter="http://www.onvif.org/ver10/error">'
    "<s:Body>{body}</s:Body></s:Envelope>"
)
NOT_AUTHORIZED = (
    "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized"
    '</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Sender not Authorized'
    "</s:Text></s:Reason></s:Fault>"
)
NOT_SUPPORTED = (
    "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ter:ActionNotSupported"
    '</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Optional Action Not '
    "Implemented</s:Text></s:Reason></s:Fault>"
)


@dataclass(frozen=True)
class Profile:
    token: str
    name: str
    width: int
    height: int
    fps: int
    kbps: int
    uri: str
    encoding: str = "H264"


@dataclass
class CameraSpec:
    user: str
    password: str
    profiles: list[Profile]
    calls: list[str] = field(default_factory=list)


def password_ok(envelope: ET.Element, spec: CameraSpec) -> bool:
    """WS-Security UsernameToken with PasswordDigest = B64(SHA1(nonce + created + password))."""
    token = envelope.find("s:Header/wsse:Security/wsse:UsernameToken", NS)
    if token is None:
        return False
    user = token.findtext("wsse:Username", "", NS)
    digest = token.findtext("wsse:Password", "", NS)
    nonce = base64.b64decode(token.findtext("wsse:Nonce", "", NS))
    created = token.findtext("wsu:Created", "", NS)
    raw = nonce + created.encode() + spec.password.encode()
    expected = base64.b64encode(hashlib.sha1(raw).digest()).decode()
    return user == spec.user and digest == expected


def answer(action: str, request: ET.Element, spec: CameraSpec, base: str) -> str | None:
    if action == "GetCapabilities":
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{base}/onvif/device_service</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{base}/onvif/Media</tt:XAddr><tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )
    if action == "GetDeviceInformation":
        return (
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>WardEye Test</tds:Manufacturer>"
            "<tds:Model>DS-2CD1023G0-I</tds:Model><tds:FirmwareVersion>V5.5.82 build 190909"
            "</tds:FirmwareVersion><tds:SerialNumber>DS-2CD1023G0-I20200101AAWRE12345678"
            "</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )
    if action == "GetProfiles":
        return (
            "<trt:GetProfilesResponse>"
            + "".join(map(profile_xml, spec.profiles))
            + ("</trt:GetProfilesResponse>")
        )
    if action == "GetStreamUri":
        token = request.findtext("{http://www.onvif.org/ver10/media/wsdl}ProfileToken")
        match = next((p for p in spec.profiles if p.token == token), None)
        if match is None:
            return None
        return (
            f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{match.uri}</tt:Uri>"
            "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
            "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>"
        )
    return None


def profile_xml(p: Profile) -> str:
    return (
        f'<trt:Profiles token="{p.token}" fixed="true"><tt:Name>{p.name}</tt:Name>'
        '<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig'
        "</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>"
        '<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>'
        f'<tt:VideoEncoderConfiguration token="VEC_{p.token}"><tt:Name>VEC_{p.token}</tt:Name>'
        f"<tt:UseCount>1</tt:UseCount><tt:Encoding>{p.encoding}</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{p.width}</tt:Width><tt:Height>{p.height}</tt:Height>"
        "</tt:Resolution><tt:Quality>3</tt:Quality><tt:RateControl>"
        f"<tt:FrameRateLimit>{p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1"
        f"</tt:EncodingInterval><tt:BitrateLimit>{p.kbps}</tt:BitrateLimit></tt:RateControl>"
        f"<tt:H264><tt:GovLength>{2 * p.fps}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile>"
        "</tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0"
        "</tt:IPv4Address></tt:Address><tt:Port>8860</tt:Port><tt:TTL>128</tt:TTL>"
        "<tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT5S"
        "</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>"
    )


class OnvifResponder:
    """Serves one camera on 127.0.0.1 (a free port) until ``close``."""

    def __init__(self, spec: CameraSpec) -> None:
        self.spec = spec
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, payload = responder.handle(body)
                data = ENVELOPE.format(body=payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, body: bytes) -> tuple[int, str]:
        envelope = ET.fromstring(body)
        request = envelope.find("s:Body", NS)
        assert request is not None and len(request), "no SOAP body"
        action = request[0].tag.rsplit("}", 1)[-1]
        self.spec.calls.append(action)
        if not password_ok(envelope, self.spec):
            return 400, NOT_AUTHORIZED
        payload = answer(action, request[0], self.spec, f"http://127.0.0.1:{self.port}")
        return (200, payload) if payload is not None else (500, NOT_SUPPORTED)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
