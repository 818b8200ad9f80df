//! MySQL's own client library, `libmysqlclient`, loaded at run time (`dlopen`), for the
//! logins the Rust client cannot make: it loads client plugins (`auth_awsiam_client`, for
//! auth_awsiam_challenge), and it can send a cleartext token in the first packet
//! (`MYSQL_DEFAULT_AUTH=mysql_clear_password`), as `mysql --default-auth=...` does. Loaded at
//! run time so that the load generator builds and its tests run where the library is not
//! installed. The crate's only `unsafe`.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_ulong, c_void};
use std::ptr;
use std::sync::OnceLock;

/// `enum mysql_option` of mysql.h (MySQL 8.0 to 9.7: stable values).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
#[allow(dead_code)]
pub enum MysqlOption {
    ConnectTimeout = 0,
    Protocol = 9,
    PluginDir = 16,
    DefaultAuth = 17,
    SslCa = 21,
    EnableCleartextPlugin = 30,
    SslMode = 35,
}

/// `enum mysql_protocol_type`.
pub const PROTOCOL_TCP: c_uint = 1;
pub const PROTOCOL_SOCKET: c_uint = 2;
/// `SSL_MODE_VERIFY_CA` of `enum mysql_ssl_mode`.
pub const SSL_MODE_VERIFY_CA: c_uint = 4;

type Mysql = c_void;
type MysqlRes = c_void;

unsafe extern "C" {
    fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}
const RTLD_NOW: c_int = 2;

type ServerInit = unsafe extern "C" fn(c_int, *mut *mut c_char, *mut *mut c_char) -> c_int;
type Init = unsafe extern "C" fn(*mut Mysql) -> *mut Mysql;
type Options = unsafe extern "C" fn(*mut Mysql, MysqlOption, *const c_void) -> c_int;
type RealConnect = unsafe extern "C" fn(
    *mut Mysql,
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    c_uint,
    *const c_char,
    c_ulong,
) -> *mut Mysql;
type RealQuery = unsafe extern "C" fn(*mut Mysql, *const c_char, c_ulong) -> c_int;
type StoreResult = unsafe extern "C" fn(*mut Mysql) -> *mut MysqlRes;
type FetchRow = unsafe extern "C" fn(*mut MysqlRes) -> *mut *mut c_char;
type FreeResult = unsafe extern "C" fn(*mut MysqlRes);
type Close = unsafe extern "C" fn(*mut Mysql);
type Error = unsafe extern "C" fn(*mut Mysql) -> *const c_char;

/// The library's entry points the load generator uses.
struct Api {
    server_init: ServerInit,
    init: Init,
    options: Options,
    real_connect: RealConnect,
    real_query: RealQuery,
    store_result: StoreResult,
    fetch_row: FetchRow,
    free_result: FreeResult,
    close: Close,
    error: Error,
}

/// The loaded library (one per process: its global state is initialised once).
pub struct LibMysql {
    api: Api,
}

static LOADED: OnceLock<Result<LibMysql, String>> = OnceLock::new();

fn symbol(handle: *mut c_void, name: &str) -> Result<*mut c_void, String> {
    let c = CString::new(name).expect("no NUL in a symbol name");
    // SAFETY: `handle` came from dlopen, `c` is a valid C string.
    let p = unsafe { dlsym(handle, c.as_ptr()) };
    if p.is_null() {
        Err(format!("libmysqlclient has no {name}"))
    } else {
        Ok(p)
    }
}

impl LibMysql {
    /// Loads the library at `path` (once; later calls return the same one) and runs
    /// `mysql_library_init`, which must precede any thread's use of it.
    pub fn load(path: &str) -> Result<&'static LibMysql, String> {
        LOADED
            .get_or_init(|| Self::open(path))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn open(path: &str) -> Result<LibMysql, String> {
        let c = CString::new(path).map_err(|_| "NUL in the library path".to_string())?;
        // SAFETY: a valid C string; RTLD_NOW resolves every symbol now or fails.
        let handle = unsafe { dlopen(c.as_ptr(), RTLD_NOW) };
        if handle.is_null() {
            // SAFETY: dlerror returns a C string describing the last failure, or NULL.
            let e = unsafe { dlerror() };
            let why = if e.is_null() {
                "unknown error".into()
            } else {
                // SAFETY: non-NULL, NUL-terminated, valid until the next dl* call.
                unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
            };
            return Err(format!("cannot load {path}: {why}"));
        }
        // SAFETY: each symbol has the C signature of mysql.h it is cast to.
        let api = unsafe {
            Api {
                server_init: std::mem::transmute::<*mut c_void, ServerInit>(symbol(
                    handle,
                    "mysql_server_init",
                )?),
                init: std::mem::transmute::<*mut c_void, Init>(symbol(handle, "mysql_init")?),
                options: std::mem::transmute::<*mut c_void, Options>(symbol(
                    handle,
                    "mysql_options",
                )?),
                real_connect: std::mem::transmute::<*mut c_void, RealConnect>(symbol(
                    handle,
                    "mysql_real_connect",
                )?),
                real_query: std::mem::transmute::<*mut c_void, RealQuery>(symbol(
                    handle,
                    "mysql_real_query",
                )?),
                store_result: std::mem::transmute::<*mut c_void, StoreResult>(symbol(
                    handle,
                    "mysql_store_result",
                )?),
                fetch_row: std::mem::transmute::<*mut c_void, FetchRow>(symbol(
                    handle,
                    "mysql_fetch_row",
                )?),
                free_result: std::mem::transmute::<*mut c_void, FreeResult>(symbol(
                    handle,
                    "mysql_free_result",
                )?),
                close: std::mem::transmute::<*mut c_void, Close>(symbol(handle, "mysql_close")?),
                error: std::mem::transmute::<*mut c_void, Error>(symbol(handle, "mysql_error")?),
            }
        };
        // SAFETY: no argument vector, no option groups: the library's defaults.
        if unsafe { (api.server_init)(0, ptr::null_mut(), ptr::null_mut()) } != 0 {
            return Err("mysql_library_init failed".into());
        }
        Ok(LibMysql { api })
    }
}

/// One option value for `mysql_options`.
pub enum OptValue<'a> {
    Uint(c_uint),
    Bool(bool),
    Str(&'a CStr),
}

/// Where and as whom `connect` logs in.
pub struct ConnectArgs<'a> {
    pub host: Option<&'a CStr>,
    pub port: c_uint,
    pub socket: Option<&'a CStr>,
    pub user: &'a CStr,
    pub password: &'a CStr,
    pub options: &'a [(MysqlOption, OptValue<'a>)],
}

fn opt_ptr(p: Option<&CStr>) -> *const c_char {
    p.map_or(ptr::null(), CStr::as_ptr)
}

impl LibMysql {
    /// Connects, runs `SELECT 1`, checks it answered 1, closes: one login. The error is
    /// the library's message (user and host, never the password).
    pub fn login(&self, a: &ConnectArgs) -> Result<(), String> {
        let api = &self.api;
        // SAFETY: mysql_init(NULL) allocates a handle (NULL when out of memory); every
        // later call gets that handle, and it is closed exactly once below. Option values
        // live until mysql_real_connect returns (the library copies them). Rows are read
        // only while their result is alive.
        unsafe {
            let m = (api.init)(ptr::null_mut());
            if m.is_null() {
                return Err("mysql_init: out of memory".into());
            }
            let result = (|| {
                for (option, value) in a.options {
                    let (u, b);
                    let p: *const c_void = match value {
                        OptValue::Uint(v) => {
                            u = *v;
                            (&raw const u).cast()
                        }
                        OptValue::Bool(v) => {
                            b = *v;
                            (&raw const b).cast()
                        }
                        OptValue::Str(s) => s.as_ptr().cast(),
                    };
                    if (api.options)(m, *option, p) != 0 {
                        return Err(format!("mysql_options({option:?}) refused"));
                    }
                }
                let connected = (api.real_connect)(
                    m,
                    opt_ptr(a.host),
                    a.user.as_ptr(),
                    a.password.as_ptr(),
                    ptr::null(),
                    a.port,
                    opt_ptr(a.socket),
                    0,
                );
                if connected.is_null() {
                    return Err(self.error(m));
                }
                let q = c"SELECT 1";
                if (api.real_query)(m, q.as_ptr(), q.count_bytes() as c_ulong) != 0 {
                    return Err(self.error(m));
                }
                let res = (api.store_result)(m);
                if res.is_null() {
                    return Err(self.error(m));
                }
                let row = (api.fetch_row)(res);
                let one =
                    !row.is_null() && !(*row).is_null() && CStr::from_ptr(*row).to_bytes() == b"1";
                (api.free_result)(res);
                if one {
                    Ok(())
                } else {
                    Err("SELECT 1 did not return 1".into())
                }
            })();
            (api.close)(m);
            result
        }
    }

    /// The handle's last error message.
    ///
    /// # Safety
    /// `m` is a live handle of this library.
    unsafe fn error(&self, m: *mut Mysql) -> String {
        // SAFETY: the caller's handle; mysql_error never returns NULL.
        unsafe { CStr::from_ptr((self.api.error)(m)) }
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_an_error_not_a_crash() {
        let e = LibMysql::open("/nonexistent/libmysqlclient.so")
            .err()
            .unwrap();
        assert!(
            e.starts_with("cannot load /nonexistent/libmysqlclient.so"),
            "{e}"
        );
    }
}
