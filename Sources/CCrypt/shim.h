// libcrypt (libxcrypt on Debian 12: `libcrypt-dev`): `crypt_r` does bcrypt (`$2b$`, `$2y$`,
// `$2a$`) for `--web.config.file` `basic_auth_users`.
#include <crypt.h>
