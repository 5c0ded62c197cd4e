"""Vietnamese (default) and English strings for the pages."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "cameras": "Camera",
        "login": "Đăng nhập",
        "logout": "Đăng xuất",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "wrong_login": "Sai tên đăng nhập hoặc mật khẩu",
        "name": "Tên",
        "area": "Khu vực",
        "kind": "Loại",
        "public": "Công cộng",
        "household": "Hộ gia đình",
        "location": "Vị trí",
        "status": "Trạng thái",
        "enabled": "Đang bật",
        "disabled": "Đã tắt",
        "no_cameras": "Chưa có camera nào.",
        "state_online": "Trực tuyến",
        "state_offline": "Mất kết nối",
        "state_reconnecting": "Đang kết nối lại",
        "state_starting": "Đang khởi động",
        "state_unknown": "Chưa rõ",
        "camera_count": "camera",
    },
    "en": {
        "cameras": "Cameras",
        "login": "Log in",
        "logout": "Log out",
        "username": "Username",
        "password": "Password",
        "wrong_login": "Wrong username or password",
        "name": "Name",
        "area": "Area",
        "kind": "Kind",
        "public": "Public",
        "household": "Household",
        "location": "Location",
        "status": "Status",
        "enabled": "Enabled",
        "disabled": "Disabled",
        "no_cameras": "No cameras yet.",
        "state_online": "Online",
        "state_offline": "Offline",
        "state_reconnecting": "Reconnecting",
        "state_starting": "Starting",
        "state_unknown": "Unknown",
        "camera_count": "cameras",
    },
}
LANGUAGES = tuple(STRINGS)
DEFAULT_LANGUAGE = "vi"


def pick_language(requested: str | None, accept_language: str | None) -> str:
    if requested in STRINGS:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in STRINGS:
            return code
    return DEFAULT_LANGUAGE
