"""Platform limits for posters and videos, in one place so a change at a platform is one edit.

Sizes are in bytes with MB = 1024 * 1024, the convention Telegram's servers use.
Sources: Telegram Bot API (sendPhoto, getFile, sendVideo; "Using a Local Bot API Server"),
LINE Messaging API message objects, Instagram Graph API content publishing.
"""

from __future__ import annotations

MB = 1024 * 1024

# Refuse before decoding: a 50-megapixel RGB image already needs ~200 MB in Pillow.
MAX_PIXELS = 50_000_000

# Formats we decode at all; anything else is refused by what the bytes are.
POSTER_FORMATS = ("JPEG", "PNG", "WEBP")

# Instagram feed images (Graph API): JPEG, 4:5 to 1.91:1, 320 px wide at least, 8 MB.
INSTAGRAM_MIN_RATIO = (4, 5)  # width:height, the tallest allowed
INSTAGRAM_MAX_RATIO = (191, 100)  # 1.91:1, the widest allowed
INSTAGRAM_MIN_WIDTH = 320
INSTAGRAM_GOOD_WIDTH = 1080  # Instagram shows feed posts 1080 px wide; less looks soft
INSTAGRAM_PORTRAIT = (1080, 1350)
INSTAGRAM_LANDSCAPE = (1080, 566)
INSTAGRAM_MAX_BYTES = 8 * MB

# Telegram sendPhoto: 10 MB, width + height at most 10,000, sides at most 20:1.
TELEGRAM_PHOTO_MAX_BYTES = 10 * MB
TELEGRAM_PHOTO_MAX_SIDES = 10_000
TELEGRAM_PHOTO_MAX_RATIO = 20

# LINE image message: JPEG or PNG, 10 MB.
LINE_IMAGE_MAX_BYTES = 10 * MB

# Telegram files through the cloud Bot API: the bot downloads (getFile) at most 20 MB and
# uploads at most 50 MB. A self-hosted Bot API server lifts both to Telegram's 2000 MB.
TELEGRAM_CLOUD_DOWNLOAD_BYTES = 20 * MB
TELEGRAM_CLOUD_UPLOAD_BYTES = 50 * MB
TELEGRAM_LOCAL_FILE_BYTES = 2000 * MB

# LINE video message: MP4, 200 MB.
LINE_VIDEO_MAX_BYTES = 200 * MB

# An image or video a LINE user sent as a link (contentProvider "external"), which the bot
# fetches itself: no bigger than the largest poster the bot takes from Telegram, or the
# largest video LINE itself carries.
EXTERNAL_IMAGE_MAX_BYTES = TELEGRAM_CLOUD_DOWNLOAD_BYTES
EXTERNAL_VIDEO_MAX_BYTES = LINE_VIDEO_MAX_BYTES

# Every file a person sends is downloaded to disk under one of these hard caps, never whole
# into memory. A poster is decoded by Pillow afterwards, so it is read whole then; nothing
# larger than this is ever read.
POSTER_MAX_BYTES = TELEGRAM_CLOUD_DOWNLOAD_BYTES
