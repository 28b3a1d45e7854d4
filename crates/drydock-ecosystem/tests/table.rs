//! The package-type table is consistent: one row per variant in order, unique names, serde
//! names equal to the table's, every matched type's scheme the one its namespace implies.

use drydock_ecosystem::{
    content_kinds, content_types, type_filter_matches, Matching, PackageType, TYPES, TYPE_FILTERS,
};
use drydock_version::Scheme;
use std::collections::HashSet;

#[test]
fn every_variant_is_its_row_and_serialises_as_its_name() {
    for (i, row) in TYPES.iter().enumerate() {
        assert_eq!(row.ty as usize, i, "{} is row {i}", row.name);
        assert_eq!(row.ty.info().name, row.name);
        let json = serde_json::to_string(&row.ty).unwrap();
        assert_eq!(json, format!("\"{}\"", row.name), "serde name of {:?}", row.ty);
        let back: PackageType = serde_json::from_str(&json).unwrap();
        assert_eq!(back, row.ty);
        assert_eq!(row.ty.to_string(), row.name);
    }
}

#[test]
fn names_purl_types_and_peer_names_are_unique() {
    let mut names = HashSet::new();
    for n in PackageType::sbom_names() {
        assert!(names.insert(n.to_ascii_lowercase()), "name {n:?} twice");
    }
    let mut purls = HashSet::new();
    for row in TYPES {
        assert!(purls.insert(row.purl_type), "purl type {:?} twice", row.purl_type);
        assert_eq!(PackageType::from_purl_type(&row.purl_type.to_uppercase()), Some(row.ty));
        assert_eq!(
            PackageType::from_name(&format!(" {} ", row.name.to_uppercase())),
            Some(row.ty)
        );
        for n in row.syft_names {
            assert_eq!(PackageType::from_name(n), Some(row.ty));
        }
    }
    let filters: HashSet<_> = TYPE_FILTERS.iter().collect();
    assert_eq!(filters.len(), TYPE_FILTERS.len(), "filters unique: {TYPE_FILTERS:?}");
}

#[test]
fn a_matched_type_uses_the_scheme_its_namespace_and_osv_ecosystem_imply() {
    for row in TYPES {
        match row.matching {
            Matching::Namespace(ns) => {
                assert_eq!(Scheme::for_ecosystem(ns), row.scheme, "{}", row.name);
                let osv = row
                    .osv
                    .unwrap_or_else(|| panic!("{} has a namespace but no OSV ecosystem", row.name));
                assert_eq!(Scheme::for_ecosystem(osv), row.scheme, "{}", row.name);
                assert_eq!(osv.to_ascii_lowercase(), ns, "{}", row.name);
            }
            Matching::Distro => {
                assert!(row.osv.is_none(), "{}: the distro decides", row.name);
                assert_eq!(row.content, "os");
                assert_eq!(Scheme::for_ecosystem(row.name), row.scheme, "{}", row.name);
            }
            Matching::ByCpe => assert!(row.osv.is_none()),
        }
    }
}

#[test]
fn filters_and_content_kinds_cover_every_type() {
    for row in TYPES {
        assert!(type_filter_matches(row.name, row.ty));
        assert!(type_filter_matches("ALL", row.ty));
        assert_eq!(type_filter_matches("os", row.ty), row.ty.is_os());
        assert_eq!(type_filter_matches("non-os", row.ty), !row.ty.is_os());
        for a in row.anchore_names {
            assert!(type_filter_matches(a, row.ty));
            assert!(content_types(a).unwrap().contains(&row.ty));
        }
        assert!(content_types(row.content).unwrap().contains(&row.ty));
    }
    assert_eq!(
        content_kinds(),
        ["os", "python", "npm", "java", "gem", "go", "rust", "php", "dotnet", "binary", "files", "all"]
    );
    assert_eq!(content_types("all").unwrap().len(), TYPES.len());
    assert_eq!(content_types("files"), None);
    assert_eq!(content_types("deb"), None);
    assert!(!type_filter_matches("java", PackageType::Npm));
}
