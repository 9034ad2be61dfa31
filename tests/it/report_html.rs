//! The HTML report of the demo study: one self-contained page (nothing fetched, no scripts)
//! holding every table and every figure of the other formats, in the LaTeX report's order and
//! numbering, whose table of contents links resolve; then headless Chromium renders it and the
//! screenshot is checked to show a page (decodes, not blank, several colours).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fresh_dir, gvc};
use gvc::report::{render, DescriptiveRow, Format, MissingRow, ReportInput, ReportSettings};

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long Chromium may take to render the page before it is killed (with its children).
const CHROMIUM_TIMEOUT_SECS: u32 = 120;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Runs the demo with all three formats; returns its output folder.
fn demo_output(tag: &str) -> PathBuf {
    let dir = fresh_dir(tag);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("specs/demo.toml"), dir.join("demo.toml")).expect("copy demo");
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "demo.toml",
            "--set",
            "report.formats=[\"markdown\", \"latex\", \"html\"]",
        ],
    );
    assert_eq!(code, 0, "demo run failed: {err}");
    dir.join("output/demo")
}

/// The values of attribute `attr` (`id`, `href`, `src`) in document order.
fn attributes(html: &str, attr: &str) -> Vec<String> {
    let key = format!(" {attr}=\"");
    html.match_indices(&key)
        .filter_map(|(i, _)| {
            let start = i + key.len();
            html[start..]
                .find('"')
                .map(|len| html[start..start + len].to_string())
        })
        .collect()
}

/// Files of `dir` whose name ends in `.ext`, by stem.
fn files_by_stem(dir: &Path, ext: &str) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p.clone())))
        .collect()
}

/// The `\label{...}` targets of `report.tex` with a prefix, in document order.
fn latex_labels(tex: &str, prefix: &str) -> Vec<String> {
    let key = format!("\\label{{{prefix}");
    tex.match_indices(&key)
        .filter_map(|(i, _)| {
            let start = i + "\\label{".len();
            tex[start..]
                .find('}')
                .map(|len| tex[start..start + len].to_string())
        })
        .collect()
}

#[test]
fn demo_report_html_is_self_contained_complete_and_renders() {
    let out = demo_output("report-html");
    let page = out.join("report.html");
    let html = read(&page);
    assert!(html.starts_with("<!DOCTYPE html>\n"), "{}", &html[..80]);
    assert!(html.trim_end().ends_with("</html>"));

    // Self-contained: no scripts, no external stylesheets, frames or images, nothing fetched.
    for tag in [
        "<script", "<link", "<iframe", "<img", "<object", "<embed", "@import", "url(",
    ] {
        assert!(!html.contains(tag), "report.html contains `{tag}`");
    }
    assert!(attributes(&html, "src").is_empty(), "no src attributes");
    let hrefs = attributes(&html, "href");
    assert!(!hrefs.is_empty());
    for h in &hrefs {
        assert!(h.starts_with('#'), "link out of the page: {h}");
    }
    assert!(html.contains("position: sticky"), "sticky table heads");

    // Ids are unique, every link of the table of contents resolves, and every table and
    // figure is linked from it.
    let ids = attributes(&html, "id");
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    for h in &hrefs {
        assert!(unique.contains(&h[1..].to_string()), "dangling link {h}");
    }
    let linked: BTreeSet<&str> = hrefs.iter().map(|h| &h[1..]).collect();
    for id in ids
        .iter()
        .filter(|i| i.starts_with("tab:") || i.starts_with("fig:"))
    {
        assert!(
            linked.contains(id.as_str()),
            "{id} missing from the contents"
        );
    }
    for section in ["indicators", "data", "regressions"] {
        assert!(
            linked.contains(section),
            "section {section} not in the contents"
        );
    }

    // Every figure drawn as SVG is inline, once.
    let svgs = files_by_stem(&out.join("figures"), "svg");
    assert!(svgs.len() >= 2, "the demo draws figures: {svgs:?}");
    assert_eq!(html.matches("<svg ").count(), svgs.len());
    for (name, path) in &svgs {
        let svg = read(path);
        let body = svg.split_once('\n').map_or("", |(_, rest)| rest).trim_end();
        assert!(html.contains(body), "figure {name} is not inline");
        assert!(
            ids.contains(&format!("fig:{name}")),
            "figure {name} has no id"
        );
    }

    // Every table of the other formats is in the page, as its fragment renders it.
    let md = files_by_stem(&out.join("tables"), "md");
    let fragments = files_by_stem(&out.join("tables"), "html");
    assert!(md.len() >= 5, "the demo has tables: {md:?}");
    assert_eq!(
        md.keys().collect::<Vec<_>>(),
        fragments.keys().collect::<Vec<_>>()
    );
    for (name, path) in &fragments {
        let fragment = read(path);
        assert!(fragment.starts_with(&format!("<figure class=\"table\" id=\"tab:{name}\">")));
        assert!(
            html.contains(fragment.trim_end()),
            "table {name} differs in the page"
        );
    }
    assert!(
        html.contains("<p class=\"notes\"><em>Notes:</em>"),
        "table notes"
    );

    // Order and numbering are the LaTeX report's.
    let tex = read(&out.join("report.tex"));
    for (prefix, word) in [("tab:", "Table"), ("fig:", "Figure")] {
        let in_html: Vec<String> = ids
            .iter()
            .filter(|i| i.starts_with(prefix))
            .cloned()
            .collect();
        assert_eq!(in_html, latex_labels(&tex, prefix), "{word} order");
        for (i, id) in in_html.iter().enumerate() {
            let at = html.find(&format!("id=\"{id}\"")).expect("id");
            let element = &html[at..at + html[at..].find("</figure>").expect("closed")];
            let tag = format!("<span class=\"tag\">{word} {}.</span>", i + 1);
            assert!(element.contains(&tag), "{id} is not {word} {}", i + 1);
        }
    }

    screenshot_shows_the_page(&page);
}

#[test]
fn user_text_is_escaped_for_html() {
    let hostile = "<script>alert(1)</script> R&D \"quoted\" 'x'";
    let input = ReportInput {
        title: hostile.into(),
        description: Some("a < b & c > d".into()),
        notes: vec!["</p><img src=x>".into()],
        sample_note: None,
        settings: ReportSettings {
            formats: vec![Format::Html],
            ..Default::default()
        },
        labels: [("rd".to_string(), hostile.to_string())].into(),
        country_names: Default::default(),
        models: Vec::new(),
        descriptives: vec![DescriptiveRow {
            variable: "rd".into(),
            n: 3,
            mean: Some(-1.5),
            sd: Some(0.25),
            min: Some(-2.0),
            p50: Some(-1.5),
            max: Some(1234.5),
        }],
        missing: vec![MissingRow {
            variable: "rd".into(),
            n_missing: 1,
            n_rows: 3,
            cells: vec![("<b>".into(), 2009)],
        }],
        indicators: Vec::new(),
        multiverse: None,
    };
    let files = render(&input, None).expect("render");
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "report.html",
            "tables/descriptives.html",
            "tables/missing.html"
        ]
    );
    let html = &files[0].1;
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D &quot;quoted&quot; &#39;x&#39;";
    assert!(
        html.contains(&format!("<title>{escaped}</title>")),
        "{html}"
    );
    assert!(html.contains(&format!("<th scope=\"row\">{escaped}</th>")));
    assert!(html.contains("a &lt; b &amp; c &gt; d"));
    assert!(html.contains("&lt;/p&gt;&lt;img src=x&gt;"));
    assert!(html.contains("&lt;b&gt; 2009"), "missing cells escaped");
    for tag in ["<script", "<img", "<b>"] {
        assert!(!html.contains(tag), "unescaped {tag}");
    }
    // Every element the page opens is closed.
    for tag in [
        "table", "thead", "tbody", "tr", "figure", "section", "nav", "p",
    ] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
    // Negative numbers carry a typographic minus; the thousands stay readable.
    assert!(html.contains("\u{2212}1</span><span class=\"f\""), "{html}");
    assert!(html.contains(">1234</span>"), "{html}");
}

/// Renders the page in headless Chromium and checks the screenshot and the parsed DOM.
fn screenshot_shows_the_page(page: &Path) {
    if !Path::new(CHROMIUM).exists() {
        println!("SKIPPED: chromium not installed (apt-get install chromium)");
        return;
    }
    let work = fresh_dir("report-html-chromium");
    let png = work.join("report.png");
    let url = format!("file://{}", page.display());
    let run = |extra: &[&str]| {
        // coreutils `timeout` kills Chromium's whole process group if it hangs.
        let out = Command::new("timeout")
            .args([
                "--kill-after=10",
                &CHROMIUM_TIMEOUT_SECS.to_string(),
                CHROMIUM,
            ])
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                work.join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .expect("run chromium");
        assert!(
            out.status.success(),
            "chromium failed or timed out after {CHROMIUM_TIMEOUT_SECS} s ({:?}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // The DOM Chromium built holds every figure and table.
    let dom = run(&["--dump-dom"]);
    let html = read(page);
    assert_eq!(dom.matches("<svg ").count(), html.matches("<svg ").count());
    assert_eq!(
        dom.matches("<table ").count(),
        html.matches("<table ").count()
    );

    run(&[
        &format!("--screenshot={}", png.display()),
        "--window-size=1366,2000",
    ]);
    let file = std::fs::File::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    assert_eq!((info.width, info.height), (1366, 2000));
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let total = (info.width * info.height) as usize;
    let mut non_white = 0usize;
    let mut colours = BTreeSet::new();
    for p in pixels {
        if p[..3].iter().any(|&c| c < 235) {
            non_white += 1;
        }
        // Colours quantised to 32 levels per channel, so anti-aliasing does not count.
        colours.insert((p[0] >> 3, p[1] >> 3, p[2] >> 3));
    }
    let share = non_white as f64 / total as f64;
    println!(
        "screenshot {}: {:.1}% non-white pixels, {} colours",
        png.display(),
        100.0 * share,
        colours.len()
    );
    assert!(
        share > 0.02,
        "the page looks blank: {:.2}% ink",
        100.0 * share
    );
    assert!(colours.len() >= 8, "only {} colours", colours.len());
}
