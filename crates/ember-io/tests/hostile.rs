//! Corrupt, truncated and hostile files: every loader returns a clear error naming the
//! problem, and nothing panics, executes, hangs or allocates without bound.

mod common;
use common::*;

use std::io::Write;

use ember_io::Error;

/// A torch zip archive with the given `data.pkl` and `(name, bytes)` storages.
fn torch_zip(pickle: &[u8], storages: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("archive/data.pkl", opts).unwrap();
    zip.write_all(pickle).unwrap();
    for (k, b) in storages {
        zip.start_file(format!("archive/data/{k}"), opts).unwrap();
        zip.write_all(b).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A legacy-format file around `pickle`, followed by `tail`.
fn legacy(pickle: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut out = vec![
        0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
    ];
    out.extend_from_slice(b"\x80\x02M\xe9\x03."); // protocol version 1001
    out.extend_from_slice(b"\x80\x02}."); // system info
    out.extend_from_slice(pickle);
    out.extend_from_slice(tail);
    out
}

fn msg(r: Result<impl std::fmt::Debug, Error>) -> String {
    let e = r.unwrap_err();
    e.to_string()
}

/// `_rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', numel), offset, size, stride,
/// False, OrderedDict())` as a pickle.
fn tensor_pickle(numel: u32, offset: u8, size: &[u32], stride: &[u32]) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.extend_from_slice(&tensor_body(numel, offset, size, stride));
    p.push(b'.');
    p
}

/// The opcodes that push one such tensor.
fn tensor_body(numel: u32, offset: u8, size: &[u32], stride: &[u32]) -> Vec<u8> {
    let mut p = b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ".to_vec();
    p.extend_from_slice(&numel.to_le_bytes());
    p.extend_from_slice(b"tQK");
    p.push(offset);
    for dims in [size, stride] {
        p.push(b'(');
        for d in dims {
            p.push(b'J');
            p.extend_from_slice(&d.to_le_bytes());
        }
        p.push(b't');
    }
    p.extend_from_slice(b"\x89ccollections\nOrderedDict\n)RtR");
    p
}

#[test]
fn forbidden_globals_are_named_and_never_called() {
    let cases: [(&[u8], &str); 3] = [
        (
            b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.",
            "os.system",
        ),
        (
            b"\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.",
            "builtins.eval",
        ),
        // STACK_GLOBAL (protocol 4 style).
        (
            b"\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93.",
            "subprocess.Popen",
        ),
    ];
    for (p, name) in cases {
        for bytes in [torch_zip(p, &[]), legacy(p, b"")] {
            let err = ember_io::torch::load_from_bytes(&bytes).unwrap_err();
            assert!(matches!(err, Error::ForbiddenGlobal { .. }), "{err}");
            let m = err.to_string();
            assert!(
                m.contains(&format!("`{name}`")) && m.contains("not allowed"),
                "{m}"
            );
        }
    }
    // A torch global outside the allowlist is refused too.
    let p = b"\x80\x02ctorch\nload\n.";
    assert!(msg(ember_io::torch::load_from_bytes(&torch_zip(p, &[]))).contains("torch.load"));
    // A dtype Ember lacks is "unsupported", not "forbidden".
    let p = b"\x80\x02ctorch\nComplexFloatStorage\n.";
    let err = ember_io::torch::load_from_bytes(&torch_zip(p, &[])).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[test]
fn truncated_and_bad_magic_files() {
    let good = std::fs::read(fixture("cnn_zip.pt")).unwrap();
    for n in [0, 3, 10, 100, good.len() / 2, good.len() - 1] {
        let r = ember_io::torch::load_from_bytes(&good[..n]);
        assert!(r.is_err(), "truncated to {n}");
    }
    let legacy_good = std::fs::read(fixture("cnn_legacy.pt")).unwrap();
    for n in [0, 14, 20, 200, legacy_good.len() / 2, legacy_good.len() - 1] {
        let m = msg(ember_io::torch::load_from_bytes(&legacy_good[..n]));
        assert!(!m.is_empty(), "legacy truncated to {n}");
    }
    let m = msg(ember_io::torch::load_from_bytes(
        &legacy_good[..legacy_good.len() - 1],
    ));
    assert!(m.contains("declares") && m.contains("left"), "{m}");
    let m = msg(ember_io::torch::load_from_bytes(
        b"hello world, not a model",
    ));
    assert!(m.contains("not a PyTorch file"), "{m}");
    // Named files carry their path in the message.
    let dir = temp_dir("hostile");
    let path = dir.join("half.pt");
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let m = msg(ember_io::torch::load(&path));
    assert!(m.contains("half.pt"), "{m}");
    std::fs::remove_dir_all(dir).unwrap();
    // numpy and safetensors.
    let npy = std::fs::read(fixture("f4_c.npy")).unwrap();
    assert!(msg(ember_io::npy::read_npy_from_bytes(b"NUMPY")).contains("magic"));
    let m = msg(ember_io::npy::read_npy_from_bytes(&npy[..npy.len() - 4]));
    assert!(m.contains("needs 24 bytes") && m.contains("has 20"), "{m}");
    assert!(ember_io::npz::read_npz_from_bytes(b"PK\x03\x04junk").is_err());
    let st = std::fs::read(fixture("dtypes.safetensors")).unwrap();
    assert!(ember_io::SafetensorsFile::from_bytes(st[..st.len() - 1].to_vec()).is_err());
    assert!(ember_io::SafetensorsFile::from_bytes(b"short".to_vec()).is_err());
}

#[test]
fn huge_declared_lengths_are_refused_before_allocating() {
    // A string claiming 4 GiB.
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        b"\x80\x02X\xf0\xff\xff\xff.",
        &[],
    )));
    assert!(m.contains("BINUNICODE needs 4294967280 bytes"), "{m}");
    // A storage claiming 2^31 floats over a 16-byte entry.
    let p = tensor_pickle(0x7fff_ffff, 0, &[4], &[1]);
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        &p,
        &[("0", vec![0; 16])],
    )));
    assert!(
        m.contains("holds 16 bytes") && m.contains("8589934588"),
        "{m}"
    );
    // A legacy storage claiming 2^60 elements.
    let p = tensor_pickle(4, 0, &[4], &[1]);
    let mut tail = b"\x80\x02]q\x00X\x01\x00\x00\x000a.".to_vec();
    tail.extend_from_slice(&(1u64 << 60).to_le_bytes());
    tail.extend_from_slice(&[0; 16]);
    let m = msg(ember_io::torch::load_from_bytes(&legacy(&p, &tail)));
    assert!(m.contains("declares 1152921504606846976 elements"), "{m}");
    // numpy: a shape of 10^18 elements.
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }\n";
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    let m = msg(ember_io::npy::read_npy_from_bytes(&npy));
    assert!(m.contains("needs"), "{m}");
    // Empty shapes whose strides would overflow (found by cargo fuzz).
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header =
        "{'descr': '|b1', 'fortran_order': True, 'shape': (0, 4294967296, 4294967296), }\n";
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    assert!(msg(ember_io::npy::read_npy_from_bytes(&npy)).contains("overflows"));
    let p = tensor_pickle(
        0,
        0,
        &[0, 0x7fff_ffff, 0x7fff_ffff, 0x7fff_ffff],
        &[1, 1, 1, 1],
    );
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        &p,
        &[("0", vec![])],
    )));
    assert!(m.contains("overflows"), "{m}");
    let header = r#"{"t":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header.as_bytes());
    let f = ember_io::SafetensorsFile::from_bytes(st).unwrap();
    assert!(msg(f.tensor("t")).contains("overflows"));
    // safetensors: a header length of 2^40.
    let mut st = (1u64 << 40).to_le_bytes().to_vec();
    st.extend_from_slice(b"{}");
    assert!(ember_io::SafetensorsFile::from_bytes(st).is_err());
    // A memo index of 2^32-1 costs nothing.
    let p = b"\x80\x02Nr\xff\xff\xff\xff0j\xff\xff\xff\xff.";
    assert_eq!(
        ember_io::torch::load_from_bytes(&torch_zip(p, &[]))
            .unwrap()
            .type_name(),
        "None"
    );
}

#[test]
fn wrong_storage_sizes_and_layouts() {
    // The entry is shorter than the pickle says.
    let p = tensor_pickle(12, 0, &[3, 4], &[4, 1]);
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        &p,
        &[("0", vec![0; 44])],
    )));
    assert!(m.contains("holds 44 bytes, but 48 are expected"), "{m}");
    // The layout reaches outside the storage.
    let p = tensor_pickle(12, 1, &[3, 4], &[4, 1]);
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        &p,
        &[("0", vec![0; 48])],
    )));
    assert!(
        m.contains("reaches element 12") && m.contains("holds 12"),
        "{m}"
    );
    // Strides that overflow.
    let p = tensor_pickle(12, 0, &[3, 4], &[u32::MAX, u32::MAX]);
    assert!(ember_io::torch::load_from_bytes(&torch_zip(&p, &[("0", vec![0; 48])])).is_err());
    // The storage entry is missing.
    let p = tensor_pickle(12, 0, &[3, 4], &[4, 1]);
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(&p, &[])));
    assert!(m.contains("no entry `archive/data/0`"), "{m}");
    // Two persistent ids name storage 0 with different sizes: the second tensor is checked
    // against the storage as read, not as declared.
    let mut two = b"\x80\x02](".to_vec();
    two.extend_from_slice(&tensor_body(12, 0, &[12], &[1]));
    two.extend_from_slice(&tensor_body(1000, 0, &[1000], &[1]));
    two.extend_from_slice(b"e.");
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        &two,
        &[("0", vec![0; 48])],
    )));
    assert!(
        m.contains("reaches element 999") && m.contains("holds 12"),
        "{m}"
    );
    // And the well-formed one loads.
    let v = ember_io::torch::load_from_bytes(&torch_zip(&p, &[("0", vec![0; 48])])).unwrap();
    assert_eq!(v.as_tensor().unwrap().shape(), &[3, 4]);
}

#[test]
fn shared_reference_bombs_and_cycles() {
    // 64 levels of [prev, prev]: 2^64 nodes if expanded naively.
    let mut p = b"\x80\x02]q\x00".to_vec();
    for i in 1..64u8 {
        p.extend_from_slice(&[b'(', b'h', i - 1, b'h', i - 1, b'l', b'q', i]);
    }
    p.push(b'.');
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(&p, &[])));
    assert!(m.contains("far larger than the file"), "{m}");
    // A list that contains itself.
    let m = msg(ember_io::torch::load_from_bytes(&torch_zip(
        b"\x80\x02]q\x00h\x00a.",
        &[],
    )));
    assert!(m.contains("nested more than"), "{m}");
    // Stack underflow, marks missing, unknown opcodes.
    for p in [
        &b"\x80\x02."[..],
        b"\x80\x02t.",
        b"\x80\x02Nu.",
        b"\x80\x02\xff.",
        b"\x80\x02N",
    ] {
        assert!(
            ember_io::torch::load_from_bytes(&torch_zip(p, &[])).is_err(),
            "{p:?}"
        );
    }
}

#[test]
fn untyped_storage_with_rebuild_tensor_v3() {
    // The newer form: an untyped (byte) storage whose dtype comes from the rebuild call.
    // _rebuild_tensor_v3(('storage', torch.UntypedStorage, '0', 'cuda:1', 16), 1, (3,), (1,),
    //                    False, OrderedDict(), torch.float32)
    let p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v3\n((X\x07\x00\x00\x00storagectorch\nUntypedStorage\nX\x01\x00\x00\x000X\x06\x00\x00\x00cuda:1K\x10tQK\x01K\x03\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rctorch\nfloat32\ntR.";
    let bytes: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let v = ember_io::torch::load_from_bytes(&torch_zip(p, &[("0", bytes.clone())])).unwrap();
    let t = v.as_tensor().unwrap();
    assert_eq!(t.dtype(), ember_tensor::DType::F32);
    assert_eq!(t.to_vec::<f32>(), [2.0, 3.0, 4.0]);
    // With _rebuild_tensor_v2 an untyped storage is bytes.
    let p2 = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nUntypedStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x10tQK\x00K\x10\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.";
    let v = ember_io::torch::load_from_bytes(&torch_zip(p2, &[("0", bytes)])).unwrap();
    assert_eq!(v.as_tensor().unwrap().dtype(), ember_tensor::DType::U8);
    assert_eq!(v.as_tensor().unwrap().numel(), 16);
}

#[test]
fn legacy_storage_views() {
    // Pre-1.0 files could name a view of a storage: ('storage', type, root, loc, root_numel,
    // (view_key, offset, size)). The tensor's offset counts from the view's start.
    let p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nLongStorage\nX\x01\x00\x00\x00rX\x03\x00\x00\x00cpuK\x05(X\x01\x00\x00\x00vK\x02K\x03ttQK\x01K\x02\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.";
    let mut tail = b"\x80\x02]q\x00X\x01\x00\x00\x00ra.".to_vec();
    tail.extend_from_slice(&5u64.to_le_bytes());
    for i in 0..5i64 {
        tail.extend_from_slice(&(i * 10).to_le_bytes());
    }
    let v = ember_io::torch::load_from_bytes(&legacy(p, &tail)).unwrap();
    assert_eq!(v.as_tensor().unwrap().to_vec::<i64>(), [30, 40]);
    // A view running past its root storage is refused.
    let at = p.windows(5).position(|w| w == b"K\x02K\x03t").unwrap();
    let mut bad = p.to_vec();
    bad[at + 1] = 4;
    let m = msg(ember_io::torch::load_from_bytes(&legacy(&bad, &tail)));
    assert!(m.contains("storage view reaches outside"), "{m}");
}
