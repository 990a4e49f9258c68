//! Writes every kind of summary, reads the files back with the crate's reader and checks the
//! values, the directory layout PyTorch uses, flushing and the reader's errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ember_autograd::{DType, Tensor};
use ember_tensorboard::{
    DataFormat, Event, HistogramProto, SummaryWriter, SummaryWriterOptions, TbError, Value,
    ValueKind, event_files, masked_crc32c, read_events,
};

/// A fresh directory under the system temp dir, unique to the test.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("ember_tensorboard_tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn values(events: &[Event]) -> Vec<(i64, &Value)> {
    events
        .iter()
        .flat_map(|e| e.values().map(move |v| (e.step, v)))
        .collect()
}

fn decode_png(bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, buf)
}

#[test]
fn file_name_and_first_event() {
    let dir = fresh_dir("file_name");
    let w = SummaryWriter::new(&dir).unwrap();
    let name = w
        .file_path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let parts: Vec<&str> = name.split('.').collect();
    assert_eq!(&parts[..3], &["events", "out", "tfevents"]);
    assert_eq!(parts[3].len(), 10, "{name}");
    assert!(parts[3].parse::<u64>().unwrap() > 1_600_000_000);
    assert_eq!(parts[parts.len() - 2], std::process::id().to_string());
    w.close().unwrap();
    let events = read_events(w.file_path()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].file_version.as_deref(), Some("brain.Event:2"));
    assert!((events[0].wall_time - 1.7e9).abs() < 1e9);
    // The first record is framed as TensorFlow frames it: length, its masked CRC, ...
    let bytes = std::fs::read(w.file_path()).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(bytes.len(), 12 + len + 4);
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        masked_crc32c(&bytes[..8])
    );
    assert_eq!(
        u32::from_le_bytes(bytes[12 + len..].try_into().unwrap()),
        masked_crc32c(&bytes[12..12 + len])
    );
}

#[test]
fn scalars_round_trip() {
    let dir = fresh_dir("scalars");
    let w = SummaryWriter::new(&dir).unwrap();
    for step in 0..5usize {
        w.add_scalar("loss/train", 1.0 / (step as f64 + 1.0), step)
            .unwrap();
    }
    w.add_scalar("big_step", -3.5f32, 1i64 << 40).unwrap();
    w.add_scalar("zero", 0.0, 0).unwrap();
    w.close().unwrap();
    let events = read_events(w.file_path()).unwrap();
    let got: Vec<(i64, String, f32)> = values(&events)
        .iter()
        .map(|(s, v)| (*s, v.tag.clone(), v.scalar().unwrap()))
        .collect();
    let mut want: Vec<(i64, String, f32)> = (0..5)
        .map(|s| (s, "loss/train".to_string(), (1.0 / (s as f64 + 1.0)) as f32))
        .collect();
    want.push((1 << 40, "big_step".into(), -3.5));
    want.push((0, "zero".into(), 0.0));
    assert_eq!(got, want);
    assert!(events.windows(2).all(|w| w[0].wall_time <= w[1].wall_time));
}

#[test]
fn add_scalars_writes_pytorch_sub_runs() {
    let dir = fresh_dir("add_scalars");
    let w = SummaryWriter::new(&dir).unwrap();
    for step in 0..3 {
        w.add_scalars(
            "run/loss",
            &[("train", step as f64), ("valid", 10.0 + step as f64)],
            step,
        )
        .unwrap();
    }
    w.close().unwrap();
    // Nothing in the main file; one sub-run per tag, each holding `main_tag`.
    assert_eq!(read_events(w.file_path()).unwrap().len(), 1);
    for (sub, offset) in [("run_loss_train", 0.0), ("run_loss_valid", 10.0)] {
        let files = event_files(dir.join(sub)).unwrap();
        assert_eq!(files.len(), 1, "{sub}");
        let events = read_events(&files[0]).unwrap();
        assert_eq!(events[0].file_version.as_deref(), Some("brain.Event:2"));
        let got: Vec<(i64, &str, f32)> = values(&events)
            .iter()
            .map(|(s, v)| (*s, v.tag.as_str(), v.scalar().unwrap()))
            .collect();
        assert_eq!(
            got,
            (0..3)
                .map(|s| (s, "run/loss", (offset + s as f64) as f32))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn histograms_round_trip() {
    let dir = fresh_dir("histograms");
    let w = SummaryWriter::new(&dir).unwrap();
    let t = Tensor::from_vec(vec![-1.0f32, 0.0, 0.5, 0.5, 2.0, 3.0], &[2, 3]).requires_grad_(true);
    w.add_histogram("w", &t, 4).unwrap();
    w.add_histogram("raw", &[1.0f64, 1.0, 1.0][..], 5).unwrap();
    w.add_histogram("ints", &Tensor::from([1i64, 2, 3]), 6)
        .unwrap();
    w.close().unwrap();
    let events = read_events(w.file_path()).unwrap();
    let hs: Vec<(i64, &str, &HistogramProto)> = values(&events)
        .into_iter()
        .map(|(s, v)| match &v.kind {
            ValueKind::Histo(h) => (s, v.tag.as_str(), h),
            k => panic!("{k:?}"),
        })
        .collect();
    let (step, tag, h) = hs[0];
    assert_eq!((step, tag), (4, "w"));
    assert_eq!(
        (h.min, h.max, h.num, h.sum, h.sum_squares),
        (-1.0, 3.0, 6.0, 5.0, 14.5)
    );
    assert_eq!(
        h,
        &HistogramProto::from_values(&[-1.0, 0.0, 0.5, 0.5, 2.0, 3.0]).unwrap()
    );
    assert_eq!(h.bucket.iter().sum::<f64>(), 6.0);
    assert_eq!(h.bucket.len(), h.bucket_limit.len());
    // Every value is at most its bucket's limit and above the previous one's.
    let (_, _, raw) = hs[1];
    assert_eq!(
        (raw.num, raw.sum, raw.bucket.clone()),
        (3.0, 3.0, vec![0.0, 3.0])
    );
    assert!(raw.bucket_limit[0] <= 1.0 && 1.0 < raw.bucket_limit[1]);
    assert_eq!((hs[2].2.min, hs[2].2.max), (1.0, 3.0));
}

#[test]
fn empty_histogram_is_an_error_naming_the_tag() {
    let w = SummaryWriter::new(fresh_dir("empty_histogram")).unwrap();
    let err = w
        .add_histogram("dead", &Tensor::zeros(&[0], DType::F32), 0)
        .unwrap_err();
    assert!(
        matches!(&err, TbError::EmptyHistogram { tag, num: 0 } if tag == "dead"),
        "{err}"
    );
    w.add_scalar("still fine", 1.0, 0).unwrap();
}

#[test]
fn images_round_trip_through_the_png_decoder() {
    let dir = fresh_dir("images");
    let w = SummaryWriter::new(&dir).unwrap();
    // CHW float RGB: channel c of pixel (y, x) = (c + 1) * (y * 4 + x) / 255 * ... in [0, 1].
    let (h, wd) = (3usize, 4usize);
    let chw: Vec<f32> = (0..3 * h * wd)
        .map(|i| i as f32 / (3 * h * wd) as f32)
        .collect();
    let img = Tensor::from_vec(chw.clone(), &[3, h, wd]);
    w.add_image("rgb", &img, 1, DataFormat::CHW).unwrap();
    w.add_image(
        "hwc_u8",
        &Tensor::from_vec((0..24u8).collect(), &[2, 4, 3]),
        2,
        DataFormat::HWC,
    )
    .unwrap();
    w.add_image(
        "gray",
        &Tensor::from_vec(vec![0u8, 128, 255, 64], &[2, 2]),
        3,
        DataFormat::HW,
    )
    .unwrap();
    w.add_images("batch", &Tensor::ones(&[10, 1, 5, 7], DType::F32), 4)
        .unwrap();
    w.close().unwrap();

    let events = read_events(w.file_path()).unwrap();
    let imgs: Vec<_> = values(&events)
        .into_iter()
        .map(|(s, v)| match &v.kind {
            ValueKind::Image(i) => (s, v.tag.clone(), i.clone()),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(imgs.len(), 4);

    let (step, tag, rgb) = &imgs[0];
    assert_eq!(
        (*step, tag.as_str(), rgb.height, rgb.width, rgb.colorspace),
        (1, "rgb", 3, 4, 3)
    );
    let (pw, ph, color, pixels) = decode_png(&rgb.encoded_image_string);
    assert_eq!((pw, ph, color), (4, 3, png::ColorType::Rgb));
    for y in 0..h {
        for x in 0..wd {
            for c in 0..3 {
                let v = chw[c * h * wd + y * wd + x];
                assert_eq!(
                    pixels[(y * wd + x) * 3 + c],
                    (v * 255.0) as u8,
                    "({y},{x},{c})"
                );
            }
        }
    }

    let (_, _, hwc) = &imgs[1];
    let (pw, ph, color, pixels) = decode_png(&hwc.encoded_image_string);
    assert_eq!(
        (pw, ph, color, pixels),
        (4, 2, png::ColorType::Rgb, (0..24u8).collect())
    );

    let (_, _, gray) = &imgs[2];
    assert_eq!(gray.colorspace, 1);
    let (pw, ph, color, pixels) = decode_png(&gray.encoded_image_string);
    assert_eq!(
        (pw, ph, color, pixels),
        (2, 2, png::ColorType::Grayscale, vec![0, 128, 255, 64])
    );

    // 10 images of 5x7: two rows of eight cells; the last six cells of row 2 are black.
    let (_, _, grid) = &imgs[3];
    assert_eq!((grid.height, grid.width), (10, 56));
    let (pw, ph, _, pixels) = decode_png(&grid.encoded_image_string);
    assert_eq!((pw, ph), (56, 10));
    assert!(pixels[..5 * 56].iter().all(|&p| p == 255));
    for y in 5..10 {
        let row = &pixels[y * 56..(y + 1) * 56];
        assert!(row[..14].iter().all(|&p| p == 255) && row[14..].iter().all(|&p| p == 0));
    }
}

#[test]
fn text_round_trip() {
    let dir = fresh_dir("text");
    let w = SummaryWriter::new(&dir).unwrap();
    w.add_text("notes", "# Héllo\n*world*", 2).unwrap();
    w.add_text("empty", "", 3).unwrap();
    w.close().unwrap();
    let events = read_events(w.file_path()).unwrap();
    let vs = values(&events);
    assert_eq!(vs[0].0, 2);
    assert_eq!(vs[0].1.tag, "notes/text_summary");
    assert_eq!(vs[0].1.plugin_name(), Some("text"));
    assert_eq!(vs[0].1.text(), Some("# Héllo\n*world*"));
    match &vs[0].1.kind {
        ValueKind::Tensor(t) => assert_eq!((t.dtype, t.shape.as_slice()), (7, &[1i64][..])),
        k => panic!("{k:?}"),
    }
    assert_eq!(vs[1].1.text(), Some(""));
}

#[test]
fn hparams_sub_run() {
    let dir = fresh_dir("hparams");
    let w = SummaryWriter::new(&dir).unwrap();
    let run = w
        .add_hparams(
            &[("lr", 0.1.into()), ("opt", "sgd".into())],
            &[("hparam/acc", 0.5)],
        )
        .unwrap();
    let run2 = w
        .add_hparams(&[("lr", 0.2.into())], &[("hparam/acc", 0.6)])
        .unwrap();
    assert_ne!(run, run2);
    assert_eq!(run.parent(), Some(dir.as_path()));
    // The directory is named by the time, as PyTorch's str(time.time()).
    let name: f64 = run.file_name().unwrap().to_str().unwrap().parse().unwrap();
    assert!(name > 1.6e9);
    let files = event_files(&run).unwrap();
    assert_eq!(files.len(), 1);
    let events = read_events(&files[0]).unwrap();
    let vs = values(&events);
    let tags: Vec<&str> = vs.iter().map(|(_, v)| v.tag.as_str()).collect();
    assert_eq!(
        tags,
        [
            "_hparams_/experiment",
            "_hparams_/session_start_info",
            "_hparams_/session_end_info",
            "hparam/acc"
        ]
    );
    assert!(
        vs[..3]
            .iter()
            .all(|(s, v)| *s == 0 && v.plugin_name() == Some("hparams"))
    );
    assert_eq!(vs[3].1.scalar(), Some(0.5));
}

#[test]
fn timer_flushes_without_close() {
    let dir = fresh_dir("timer");
    let opts = SummaryWriterOptions {
        flush_secs: Duration::from_millis(50),
        ..Default::default()
    };
    let w = SummaryWriter::with_options(&dir, opts).unwrap();
    w.add_scalar("x", 1.0, 0).unwrap(); // one pending event: below max_queue
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if read_events(w.file_path()).unwrap().len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the timer never flushed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn max_queue_flushes_and_drop_flushes() {
    let dir = fresh_dir("queue");
    let opts = SummaryWriterOptions {
        max_queue: 3,
        ..Default::default()
    };
    let w = SummaryWriter::with_options(&dir, opts).unwrap();
    let path = w.file_path().to_path_buf();
    w.add_scalar("x", 1.0, 0).unwrap();
    w.add_scalar("x", 2.0, 1).unwrap();
    assert_eq!(
        read_events(&path).unwrap().len(),
        1,
        "two events still buffered"
    );
    w.add_scalar("x", 3.0, 2).unwrap();
    assert_eq!(read_events(&path).unwrap().len(), 4);
    w.add_scalar("x", 4.0, 3).unwrap();
    drop(w);
    assert_eq!(read_events(&path).unwrap().len(), 5);
}

#[test]
fn closed_writer_refuses_writes() {
    let dir = fresh_dir("closed");
    let w = SummaryWriter::new(&dir).unwrap();
    w.close().unwrap();
    assert!(matches!(
        w.add_text("t", "x", 0),
        Err(TbError::Closed { .. })
    ));
    assert!(matches!(w.flush(), Err(TbError::Closed { .. })));
}

#[test]
fn writer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SummaryWriter>();
    let dir = fresh_dir("threads");
    let w = SummaryWriter::new(&dir).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let w = &w;
            s.spawn(move || {
                for step in 0..25 {
                    w.add_scalar(&format!("thread{t}"), step as f64, step)
                        .unwrap();
                }
            });
        }
    });
    w.close().unwrap();
    assert_eq!(read_events(w.file_path()).unwrap().len(), 1 + 100);
}

#[test]
fn unwritable_log_dir_is_an_io_error() {
    let dir = fresh_dir("not_a_dir");
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    std::fs::write(&dir, b"a file").unwrap();
    let err = SummaryWriter::new(dir.join("run")).unwrap_err();
    assert!(
        matches!(&err, TbError::Io { path, .. } if path.starts_with(&dir)),
        "{err}"
    );
}

fn write_three_scalars(dir: &Path) -> Vec<u8> {
    let w = SummaryWriter::new(dir).unwrap();
    for s in 0..3 {
        w.add_scalar("x", s as f64, s).unwrap();
    }
    w.close().unwrap();
    std::fs::read(w.file_path()).unwrap()
}

#[test]
fn corrupt_and_truncated_files_are_clear_errors() {
    let dir = fresh_dir("corrupt");
    let good = write_three_scalars(&dir);
    let path = dir.join("events.out.tfevents.bad");

    // A flipped bit in the last record's payload.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 6] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let err = read_events(&path).unwrap_err();
    assert!(
        matches!(&err, TbError::CorruptRecord { reason, .. } if reason.contains("data CRC")),
        "{err}"
    );
    assert!(err.to_string().contains("events.out.tfevents.bad"), "{err}");

    // Every truncation: an error for a cut inside a record, the whole events before it.
    let mut boundaries = vec![0usize];
    let mut pos = 0;
    while pos < good.len() {
        pos += 12 + u64::from_le_bytes(good[pos..pos + 8].try_into().unwrap()) as usize + 4;
        boundaries.push(pos);
    }
    for cut in 0..good.len() {
        std::fs::write(&path, &good[..cut]).unwrap();
        let result = read_events(&path);
        if boundaries.contains(&cut) {
            assert_eq!(
                result.unwrap().len(),
                boundaries.iter().position(|&b| b == cut).unwrap()
            );
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, TbError::CorruptRecord { reason, .. } if reason.contains("ends inside")),
                "{err}"
            );
        }
    }

    // Valid framing around a payload that is not an Event.
    let mut framed = Vec::new();
    let data = [0xffu8; 5];
    framed.extend_from_slice(&5u64.to_le_bytes());
    framed.extend_from_slice(&masked_crc32c(&5u64.to_le_bytes()).to_le_bytes());
    framed.extend_from_slice(&data);
    framed.extend_from_slice(&masked_crc32c(&data).to_le_bytes());
    std::fs::write(&path, &framed).unwrap();
    assert!(matches!(
        read_events(&path),
        Err(TbError::BadEvent { offset: 0, .. })
    ));
}

#[test]
fn add_graph_writes_the_autograd_graph_with_scoped_names_and_shapes() {
    use ember_tensorboard::{AttrValue, NodeDef};
    let w1 = Tensor::ones(&[4, 3], DType::F32).requires_grad_(true);
    let b1 = Tensor::zeros(&[4], DType::F32).requires_grad_(true);
    let w2 = Tensor::ones(&[2, 4], DType::F32).requires_grad_(true);
    let x = Tensor::ones(&[5, 3], DType::F32);
    // fc1 -> relu -> fc2, and w1 used a second time (a shared parameter appears once).
    let h = x.matmul(&w1.t()).add(&b1).relu();
    let y = h.matmul(&w2.t()).add(&w1.sum());
    let line = line!() - 1;
    let params = vec![
        ("fc1.weight".to_string(), w1.clone()),
        ("fc1.bias".to_string(), b1.clone()),
        ("fc2.weight".to_string(), w2.clone()),
    ];
    let dir = fresh_dir("graph");
    let w = SummaryWriter::new(&dir).unwrap();
    w.add_graph(&[&y, &h], &params).unwrap();
    w.close().unwrap();
    let graphs: Vec<_> = read_events(w.file_path())
        .unwrap()
        .into_iter()
        .filter_map(|e| e.graph_def)
        .collect();
    assert_eq!(graphs.len(), 1);
    let g = &graphs[0];
    let by_name = |n: &str| -> &NodeDef {
        g.node.iter().find(|d| d.name == n).unwrap_or_else(|| {
            panic!(
                "no node {n} in {:?}",
                g.node.iter().map(|d| &d.name).collect::<Vec<_>>()
            )
        })
    };
    let shapes = |d: &NodeDef| -> Vec<Vec<i64>> {
        match d.attr.iter().find(|(k, _)| k == "_output_shapes") {
            Some((_, AttrValue::Shapes(s))) => s.clone(),
            other => panic!("{}: no shapes ({other:?})", d.name),
        }
    };
    // Parameters: each once, named by scope, with its shape.
    for (name, shape) in [
        ("fc1/weight", vec![4, 3]),
        ("fc1/bias", vec![4]),
        ("fc2/weight", vec![2, 4]),
    ] {
        let d = by_name(name);
        assert_eq!(d.op, "Parameter");
        assert_eq!(shapes(d), vec![shape]);
        assert_eq!(g.node.iter().filter(|n| n.name == name).count(), 1);
    }
    // Every input names a node defined earlier (producers first), so the graph is connected.
    for (i, d) in g.node.iter().enumerate() {
        for inp in &d.input {
            let base = inp.split(':').next().unwrap();
            assert!(
                g.node[..i].iter().any(|p| p.name == base),
                "{} reads {inp}, not defined before it",
                d.name
            );
        }
    }
    // fc1's transpose (`t` is a permute) sits in fc1's scope; the outputs are IO nodes with their shapes.
    assert!(
        g.node
            .iter()
            .any(|d| d.name == "fc1/permute_0" && d.op == "permute")
    );
    let out0 = by_name("output/output.0");
    assert_eq!(
        (out0.op.as_str(), shapes(out0)),
        ("IO Node", vec![vec![5, 2]])
    );
    let last = by_name(&out0.input[0]);
    assert_eq!(last.op, "add");
    assert_eq!(shapes(last), vec![vec![5, 2]]);
    let loc = match last.attr.iter().find(|(k, _)| k == "location") {
        Some((_, AttrValue::S(s))) => s.clone(),
        other => panic!("no location: {other:?}"),
    };
    assert!(loc.contains(&format!("round_trip.rs:{line}:")), "{loc}");
    let out1 = by_name("output/output.1");
    assert_eq!(by_name(&out1.input[0]).op, "relu");
    // One op node per recorded op: permute, matmul, add, relu (fc1); permute, matmul, sum, add (fc2 and
    // the shared w1), plus 3 parameters and 2 outputs.
    assert_eq!(
        g.node.len(),
        8 + 3 + 2,
        "{:?}",
        g.node.iter().map(|d| &d.name).collect::<Vec<_>>()
    );
}

#[test]
#[should_panic(expected = "add_graph: none of the 1 output(s) has an autograd graph")]
fn add_graph_without_a_graph_is_a_clear_panic() {
    let w = SummaryWriter::new(fresh_dir("graph_none")).unwrap();
    let y = Tensor::ones(&[2], DType::F32).exp();
    let _ = w.add_graph(&[&y], &[]);
}
