//! The splitter library against the purged k-fold and CPCV goldens in
//! `shared/reference/finml` (README sections 4 and 5): the "closed overlap" variant, which
//! timeseriescv 0.2 `CombPurgedKFoldCV(n_test_splits=1)` reproduces exactly, and the CPCV
//! combinatorics and path assembly that skfolio and mlfinlab share. Every case directory
//! found is checked.

use std::path::{Path, PathBuf};

use mlfactory_market::reference::{dir, parse_naive_ts, read_csv};
use mlfactory_splits::splitter::{CombinatorialPurgedKFold, Interval, PurgedKFold};
use serde_json::Value;

fn finml(test: &str) -> Option<PathBuf> {
    dir(Path::new(env!("CARGO_MANIFEST_DIR")), test).map(|d| d.join("finml"))
}

fn intervals(path: &Path) -> Vec<Interval> {
    let (_, rows) = read_csv(path).unwrap();
    rows.iter().map(|r| Interval::new(parse_naive_ts(&r[0]).unwrap(), parse_naive_ts(&r[1]).unwrap())).collect()
}

fn positions(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn case_dirs(root: &Path, sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(sub)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("t1.csv").exists()).collect();
    v.sort();
    v
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn purged_kfold_matches_the_closed_overlap_goldens() {
    let Some(root) = finml("purged_kfold_matches_the_closed_overlap_goldens") else { return };
    for case in case_dirs(&root, "purged_kfold") {
        let info = intervals(&case.join("t1.csv"));
        let gold = json(&case.join("splits.json"));
        for config in gold["configs"].as_array().unwrap() {
            let k = config["n_splits"].as_u64().unwrap() as usize;
            let embargo = config["embargo_obs"].as_u64().unwrap() as usize;
            let folds = PurgedKFold::new(k).with_embargo(embargo).split(&info).unwrap();
            for variant in ["own_closed_overlap_purge_plus_embargo", "timeseriescv_CombPurgedKFoldCV_k1_embargo0"] {
                let Some(want) = config["variants"][variant].as_array() else { continue };
                // the timeseriescv peer was run with embargo 0 in every config
                let ours = if variant.starts_with("timeseriescv") { PurgedKFold::new(k).split(&info).unwrap() } else { folds.clone() };
                assert_eq!(ours.len(), want.len());
                for (f, w) in ours.iter().zip(want) {
                    assert_eq!(f.test, positions(&w["test"]), "{case:?} k={k} {variant}: test");
                    assert_eq!(f.train, positions(&w["train"]), "{case:?} k={k} e={embargo} {variant}: train");
                }
            }
        }
    }
}

#[test]
fn cpcv_matches_the_goldens() {
    let Some(root) = finml("cpcv_matches_the_goldens") else { return };
    for case in case_dirs(&root, "cpcv") {
        let info = intervals(&case.join("t1.csv"));
        let gold = json(&case.join("splits.json"));
        let (n, k) = (gold["N"].as_u64().unwrap() as usize, gold["k"].as_u64().unwrap() as usize);
        let cpcv = CombinatorialPurgedKFold::new(n, k).with_embargo(gold["embargo_obs"].as_u64().unwrap_or(0) as usize);
        // combinatorics, groups and paths (every case, including the combinatorics-only one)
        let combos: Vec<Vec<usize>> = gold["combos"].as_array().unwrap().iter().map(positions).collect();
        assert_eq!(cpcv.combinations(), combos, "{case:?}");
        assert_eq!(cpcv.n_paths() as u64, gold["phi"].as_u64().unwrap());
        let paths: Vec<Vec<usize>> = gold["paths"].as_array().unwrap().iter().map(positions).collect();
        assert_eq!(cpcv.paths(), paths, "{case:?}");
        let groups: Vec<[usize; 2]> = cpcv.groups(info.len()).iter().map(|r| [r.start, r.end - 1]).collect();
        let want_groups: Vec<[usize; 2]> =
            gold["groups_array_split"].as_array().unwrap().iter().map(|g| [g[0].as_u64().unwrap() as usize, g[1].as_u64().unwrap() as usize]).collect();
        assert_eq!(groups, want_groups);
        let Some(want) = gold["own_closed_overlap_purge_plus_embargo"].as_array() else { continue };
        if info.windows(2).any(|w| w[1].t0 < w[0].t0) || info.iter().any(|iv| iv.t1 < iv.t0) {
            continue; // mlfinlab's setUp data has t1 < t0: combinatorics only
        }
        let splits = cpcv.split(&info).unwrap();
        assert_eq!(splits.len(), want.len());
        for (s, w) in splits.iter().zip(want) {
            assert_eq!(s.test_groups, positions(&w["test_groups"]), "{case:?}");
            assert_eq!(s.test, positions(&w["test"]), "{case:?}: test");
            assert_eq!(s.train, positions(&w["train"]), "{case:?}: train of split {:?}", s.test_groups);
        }
    }
}

#[test]
fn cpcv_path_ids_match_skfolio() {
    let Some(root) = finml("cpcv_path_ids_match_skfolio") else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("cpcv/skfolio_index_based")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let gold = json(&f);
        let num = |k: &str| gold[k].as_str().map_or_else(|| gold[k].as_u64().unwrap() as usize, |s| s.parse().unwrap());
        let cpcv = CombinatorialPurgedKFold::new(num("n_folds"), num("n_test_folds"));
        assert_eq!(cpcv.n_paths(), num("n_test_paths"), "{f:?}");
        let parse = |k: &str| -> Value { gold[k].as_str().map_or_else(|| gold[k].clone(), |s| serde_json::from_str(&s.replace('\'', "\"")).unwrap()) };
        let combos: Vec<Vec<usize>> = parse("test_folds_per_split").as_array().unwrap().iter().map(positions).collect();
        assert_eq!(cpcv.combinations(), combos);
        // skfolio: path_ids[s][j] = the path that uses split s's j-th test fold
        let path_ids: Vec<Vec<usize>> = parse("path_ids").as_array().unwrap().iter().map(positions).collect();
        let paths = cpcv.paths();
        for (s, groups) in combos.iter().enumerate() {
            for (j, &g) in groups.iter().enumerate() {
                assert_eq!(paths[path_ids[s][j]][g], s, "{f:?}: split {s} fold {g}");
            }
        }
    }
}
