//! Installed JVMs, from the `release` file at the root of a JDK/JRE image
//! (`/usr/lib/jvm/java-17-openjdk-amd64/release`, `/opt/java/openjdk/release`).

/// True for `.../java/<dir>/release` and `.../jvm/<dir>/release` (no allocation).
pub fn is_release_file(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/release") else {
        return false;
    };
    let Some(slash) = dir.rfind('/') else { return false };
    let (parent, name) = (&dir[..slash], &dir[slash + 1..]);
    !name.is_empty() && (parent.ends_with("/jvm") || parent.ends_with("/java"))
}

/// The fields of a release file that identify the runtime.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Release {
    /// `IMPLEMENTOR` (e.g. `Eclipse Adoptium`).
    pub implementor: String,
    /// `JAVA_VERSION` (e.g. `21.0.4`).
    pub java_version: String,
    /// `JAVA_RUNTIME_VERSION` (e.g. `21.0.4+7-LTS`).
    pub runtime_version: String,
    /// `FULL_VERSION`.
    pub full_version: String,
    /// `IMAGE_TYPE` (`JDK` or `JRE`).
    pub image_type: String,
}

/// Parses `KEY="value"` lines; `None` when neither JAVA_VERSION nor
/// JAVA_RUNTIME_VERSION is present (not a JVM release file).
pub fn parse_release(text: &str) -> Option<Release> {
    let mut r = Release::default();
    for line in text.lines().take(1000) {
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "IMPLEMENTOR" => r.implementor = v,
            "JAVA_VERSION" => r.java_version = v,
            "JAVA_RUNTIME_VERSION" => r.runtime_version = v,
            "FULL_VERSION" => r.full_version = v,
            "IMAGE_TYPE" => r.image_type = v,
            _ => {}
        }
    }
    (!r.java_version.is_empty() || !r.runtime_version.is_empty()).then_some(r)
}

impl Release {
    /// The most specific version: runtime version, else full version (when its major
    /// matches), else JAVA_VERSION.
    pub fn version(&self) -> String {
        if !self.runtime_version.is_empty() {
            return self.runtime_version.clone();
        }
        let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
        if !self.full_version.is_empty() && major(&self.full_version) == major(&self.java_version) {
            return self.full_version.clone();
        }
        self.java_version.clone()
    }

    /// (vendor, product): Azul Zulu, Sun/Oracle JDK or JRE, else OpenJDK by Oracle.
    pub fn vendor_product(&self, path: &str, has_javac: bool) -> (&'static str, &'static str) {
        let imp = self.implementor.to_ascii_lowercase().replace(' ', "");
        let product = if has_javac || !self.image_type.to_ascii_lowercase().contains("jre") {
            "jdk"
        } else {
            "jre"
        };
        if imp.contains("azul") || path.contains("zulu") {
            ("azul", "zulu")
        } else if imp.contains("sun") {
            ("sun", product)
        } else if imp.contains("oracle") || path.contains("oracle") {
            ("oracle", product)
        } else {
            ("oracle", "openjdk")
        }
    }
}

/// The version without the build/update suffix, for CPEs (`17.0.9+9` → `17.0.9`,
/// `1.8.0_302-b08` → `1.8.0` with update `update302`).
pub fn cpe_version(version: &str) -> (String, String) {
    if let Some((short, rest)) = version.split_once('_') {
        let update = rest.split('-').next().unwrap_or("").trim_start_matches('0');
        let update = if update.is_empty() { "0" } else { update };
        return (short.to_string(), format!("update{update}"));
    }
    (version.split('+').next().unwrap_or(version).to_string(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_files() {
        assert!(is_release_file("/usr/lib/jvm/java-17-openjdk-amd64/release"));
        assert!(is_release_file("/opt/java/openjdk/release"));
        assert!(!is_release_file("/etc/release"));
        assert!(!is_release_file("/usr/lib/jvm/release"));
        let r = parse_release("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"21.0.4\"\nJAVA_RUNTIME_VERSION=\"21.0.4+7-LTS\"\nIMAGE_TYPE=\"JRE\"\n").unwrap();
        assert_eq!(r.version(), "21.0.4+7-LTS");
        assert_eq!(
            r.vendor_product("/opt/java/openjdk/release", false),
            ("oracle", "openjdk")
        );
        assert_eq!(cpe_version("1.8.0_302-b08"), ("1.8.0".into(), "update302".into()));
        assert_eq!(parse_release("NAME=x\n"), None);
    }
}
