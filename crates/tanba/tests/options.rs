//! `tanba::Options`, the one mapping of plain options onto a `Job` and the
//! labelers' `Settings` that the command line and the Python package share.

use tanba::{Label, Lang, Limits, Options, Position, SourceKind, Wording};

#[test]
fn options_become_the_job_they_name() {
    let options = Options {
        languages: Some(vec!["kk".into(), "en".into()]),
        wording: Some("short".into()),
        position: Some("top-left".into()),
        ai_system: Some("model".into()),
        ai_version: Some("2".into()),
        operator: Some("ACME".into()),
        source: Some("composite".into()),
        limits: Some(Limits {
            max_bytes: 1234,
            ..Limits::default()
        }),
        ..Options::default()
    };
    let job = options.job().unwrap();
    assert_eq!(
        job.label,
        Label::standard(&[Lang::Kk, Lang::En], Wording::Short)
    );
    assert_eq!(job.position, Position::TopLeft);
    assert_eq!(job.source_kind, SourceKind::Composite);
    assert_eq!(job.limits.max_bytes, 1234);
    let ai = job.ai_system.unwrap();
    assert_eq!(
        (ai.name.as_str(), ai.version.as_deref()),
        ("model", Some("2"))
    );
    assert!(job.operator.is_some());

    // Custom lines win over languages and wording.
    let custom = Options {
        label_lines: vec![("en".into(), "Made by a machine".into())],
        ..options
    };
    let lines = custom.job().unwrap().label.lines;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].text, "Made by a machine");
}

#[test]
fn real_person_switches_the_shipped_texts_and_records_the_person() {
    let options = Options {
        languages: Some(vec!["ru".into(), "en".into()]),
        real_person: true,
        person: Some("  Jane Roe ".into()),
        ..Options::default()
    };
    let job = options.job().unwrap();
    assert_eq!(
        job.label,
        Label::real_person(&[Lang::Ru, Lang::En], Wording::Long)
    );
    assert!(job.real_person);
    assert_eq!(job.person.as_deref(), Some("Jane Roe"));
    // Custom lines stay the caller's, the flag is still recorded.
    let custom = Options {
        label_lines: vec![("en".into(), "A synthetic likeness".into())],
        ..options.clone()
    }
    .job()
    .unwrap();
    assert_eq!(custom.label.lines[0].text, "A synthetic likeness");
    assert!(custom.real_person);
    for person in ["Jane", "", "a\nb"] {
        let err = Options {
            real_person: person != "Jane",
            person: Some(person.into()),
            ..Options::default()
        }
        .job()
        .unwrap_err();
        assert_eq!(err.kind_name(), "config", "{person:?}");
    }
}

#[test]
fn bad_options_are_config_errors() {
    let bad = [
        Options {
            position: Some("middle-ish".into()),
            ..Options::default()
        },
        Options {
            bin: Some("123456789013".into()),
            ..Options::default()
        },
        Options {
            source: Some("found".into()),
            ..Options::default()
        },
        Options {
            languages: Some(vec!["xx-nope".into()]),
            wording: Some("medium".into()),
            ..Options::default()
        },
    ];
    for options in bad {
        let err = options.job().unwrap_err();
        assert_eq!(err.kind_name(), "config", "{options:?}: {err}");
    }
    let err = Options {
        subtitle_seconds: Some(90.0),
        ..Options::default()
    }
    .settings()
    .unwrap_err();
    assert_eq!(err.kind_name(), "config");
}

/// The facade's default build has text only: an option for a media type
/// left out is refused, never silently dropped.
#[cfg(not(feature = "video"))]
#[test]
fn an_option_for_a_media_type_not_built_is_refused() {
    let err = Options {
        video_crf: Some(20),
        ..Options::default()
    }
    .settings()
    .unwrap_err();
    assert_eq!(err.kind_name(), "config");
    assert!(err.to_string().contains("without video"), "{err}");
}

#[cfg(feature = "text")]
#[test]
fn text_options_reach_the_text_settings() {
    let settings = Options {
        text_footer: Some(false),
        text_manifest: Some("sidecar".into()),
        subtitle_seconds: Some(3.0),
        ..Options::default()
    }
    .settings()
    .unwrap();
    assert!(!settings.text.plain_text_footer);
    assert!(settings.text.manifest_sidecar);
    assert_eq!(settings.text.subtitle_seconds, 3.0);
}

#[test]
fn watermark_options_reach_the_job_and_the_registry_settings() {
    use tanba::WatermarkKey;
    // On with the public key by default.
    let default = Options::default();
    assert_eq!(default.job().unwrap().watermark, Some(WatermarkKey::PUBLIC));
    let settings = default.settings().unwrap();
    assert!(settings.watermark.private_key.is_none());
    assert!(settings.watermark.manifest_store.is_none());

    // An operator's key marks the job and is tried first by verify; the
    // store reaches the registry's settings.
    let key: WatermarkKey = "00112233aabbccdd".parse().unwrap();
    let own = Options {
        watermark_key: Some("00112233aabbccdd".into()),
        manifest_store: Some("/tmp/store".into()),
        ..Options::default()
    };
    assert_eq!(own.job().unwrap().watermark, Some(key));
    let settings = own.settings().unwrap();
    assert_eq!(settings.watermark.private_key, Some(key));
    assert_eq!(
        settings.watermark.manifest_store.as_deref(),
        Some(std::path::Path::new("/tmp/store"))
    );

    // Off means no watermark in the job, even with a key given.
    let off = Options {
        watermark: Some(false),
        ..own
    };
    assert_eq!(off.job().unwrap().watermark, None);

    // A malformed key is a config error before any file is touched.
    let bad = Options {
        watermark_key: Some("12345".into()),
        ..Options::default()
    };
    assert_eq!(bad.job().unwrap_err().kind_name(), "config");
    assert_eq!(bad.settings().unwrap_err().kind_name(), "config");
}
