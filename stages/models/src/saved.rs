//! [`SavedModel`]: a fitted model as safetensors bytes, with its config in the file's
//! metadata, so one artifact is the whole model and any safetensors reader opens it.

use std::collections::{BTreeMap, HashMap};

use mlfactory_engine::StageError;
use safetensors::tensor::{Dtype, TensorView};

/// Metadata key holding the model type.
pub const META_TYPE: &str = "mlfactory.model_type";
/// Metadata key holding the config JSON.
pub const META_CONFIG: &str = "mlfactory.config";

/// A tensor's values.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
}

impl TensorData {
    fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::F64(v) => v.len(),
            Self::I64(v) => v.len(),
        }
    }
}

/// A named tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: TensorData,
}

impl Tensor {
    pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Self {
        Self { shape, data: TensorData::F32(data) }
    }
    pub fn f64(shape: Vec<usize>, data: Vec<f64>) -> Self {
        Self { shape, data: TensorData::F64(data) }
    }
    pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Self {
        Self { shape, data: TensorData::I64(data) }
    }
}

/// A fitted model: its type, its config (params, feature names, anything not a tensor)
/// and its tensors, by name.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedModel {
    pub model_type: String,
    pub config: serde_json::Value,
    pub tensors: BTreeMap<String, Tensor>,
}

impl SavedModel {
    pub fn new(model_type: &str, config: serde_json::Value) -> Self {
        Self { model_type: model_type.to_owned(), config, tensors: BTreeMap::new() }
    }

    pub fn with(mut self, name: &str, tensor: Tensor) -> Self {
        self.tensors.insert(name.to_owned(), tensor);
        self
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Result<&Tensor, StageError> {
        self.tensors.get(name).ok_or_else(|| StageError::data(format!("saved `{}` model has no tensor `{name}`", self.model_type)))
    }

    /// The f64 values of tensor `name`.
    pub fn f64s(&self, name: &str) -> Result<&[f64], StageError> {
        match &self.tensor(name)?.data {
            TensorData::F64(v) => Ok(v),
            _ => Err(StageError::data(format!("tensor `{name}` of the saved `{}` model is not f64", self.model_type))),
        }
    }

    /// The f32 values of tensor `name`.
    pub fn f32s(&self, name: &str) -> Result<&[f32], StageError> {
        match &self.tensor(name)?.data {
            TensorData::F32(v) => Ok(v),
            _ => Err(StageError::data(format!("tensor `{name}` of the saved `{}` model is not f32", self.model_type))),
        }
    }

    /// The i64 values of tensor `name`.
    pub fn i64s(&self, name: &str) -> Result<&[i64], StageError> {
        match &self.tensor(name)?.data {
            TensorData::I64(v) => Ok(v),
            _ => Err(StageError::data(format!("tensor `{name}` of the saved `{}` model is not i64", self.model_type))),
        }
    }

    /// Safetensors bytes (tensors sorted by name, little-endian; deterministic).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StageError> {
        self.to_bytes_with(&HashMap::new())
    }

    /// Like [`Self::to_bytes`], with extra metadata entries beside the type and config
    /// (e.g. the training fingerprint); [`Self::from_bytes`] ignores them.
    pub fn to_bytes_with(&self, extra: &HashMap<String, String>) -> Result<Vec<u8>, StageError> {
        let mut raw: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::with_capacity(self.tensors.len());
        for (name, t) in &self.tensors {
            if t.shape.iter().product::<usize>() != t.data.len() {
                return Err(StageError::internal(format!("tensor `{name}`: shape {:?} does not hold {} values", t.shape, t.data.len())));
            }
            let (dtype, bytes) = match &t.data {
                TensorData::F32(v) => (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                TensorData::F64(v) => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                TensorData::I64(v) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            };
            raw.push((name.clone(), dtype, t.shape.clone(), bytes));
        }
        let views: Vec<(String, TensorView<'_>)> = raw
            .iter()
            .map(|(n, dtype, shape, bytes)| {
                Ok((n.clone(), TensorView::new(*dtype, shape.clone(), bytes).map_err(|e| StageError::internal(format!("tensor `{n}`: {e}")))?))
            })
            .collect::<Result<_, StageError>>()?;
        let config = serde_json::to_string(&self.config).map_err(|e| StageError::internal(format!("model config: {e}")))?;
        let mut metadata = extra.clone();
        metadata.insert(META_TYPE.to_owned(), self.model_type.clone());
        metadata.insert(META_CONFIG.to_owned(), config);
        let bytes = safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| StageError::internal(format!("writing safetensors: {e}")))?;
        canonical_header(&bytes)
    }

    /// Every metadata entry of a safetensors file (type, config and any extra).
    pub fn metadata(bytes: &[u8]) -> Result<HashMap<String, String>, StageError> {
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| StageError::data_hint(format!("not a safetensors file: {e}"), "export models with `mlfactory export STAGE.model`"))?;
        Ok(header.metadata().clone().unwrap_or_default())
    }

    /// Reads safetensors bytes written by [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StageError> {
        let bad = |what: String| StageError::data_hint(format!("not an mlfactory model file: {what}"), "export models with `mlfactory export STAGE.model`");
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().as_ref().ok_or_else(|| bad("no metadata".into()))?;
        let model_type = meta.get(META_TYPE).ok_or_else(|| bad(format!("no `{META_TYPE}`")))?.clone();
        let config = serde_json::from_str(meta.get(META_CONFIG).ok_or_else(|| bad(format!("no `{META_CONFIG}`")))?).map_err(|e| bad(e.to_string()))?;
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            let data = view.data();
            let data = match view.dtype() {
                Dtype::F32 => TensorData::F32(data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()),
                Dtype::F64 => TensorData::F64(data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()),
                Dtype::I64 => TensorData::I64(data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()),
                other => return Err(bad(format!("tensor `{name}` has dtype {other:?}"))),
            };
            tensors.insert(name, Tensor { shape: view.shape().to_vec(), data });
        }
        Ok(Self { model_type, config, tensors })
    }
}

/// Rewrites a safetensors header with its metadata keys sorted. `safetensors` writes the
/// metadata map in `HashMap` order, which differs between two maps with the same entries;
/// sorted, the same model gives the same bytes. Tensor entries keep their explicit
/// offsets, so the data section is untouched.
fn canonical_header(bytes: &[u8]) -> Result<Vec<u8>, StageError> {
    let bad = |e: String| StageError::internal(format!("re-reading the safetensors header we wrote: {e}"));
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).map_err(|e| bad(e.to_string()))?;
    let root = header.as_object_mut().ok_or_else(|| bad("not an object".into()))?;
    let mut entries: Vec<(String, serde_json::Value)> = std::mem::take(root).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in &mut entries {
        if key == "__metadata__"
            && let Some(meta) = value.as_object_mut()
        {
            let mut inner: Vec<(String, serde_json::Value)> = std::mem::take(meta).into_iter().collect();
            inner.sort_by(|a, b| a.0.cmp(&b.0));
            *meta = inner.into_iter().collect();
        }
    }
    *root = entries.into_iter().collect();
    let mut text = serde_json::to_vec(&header).map_err(|e| bad(e.to_string()))?;
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_deterministic() {
        let m = SavedModel::new("logistic", serde_json::json!({"features": ["a", "b"], "l2": 1.0}))
            .with("coef", Tensor::f64(vec![3, 2], vec![1.0, -2.0, 0.5, 0.0, 3.25, -1e-9]))
            .with("mean", Tensor::f32(vec![2], vec![0.5, 1.5]))
            .with("nodes", Tensor::i64(vec![1], vec![7]));
        let bytes = m.to_bytes().unwrap();
        assert_eq!(bytes, m.to_bytes().unwrap());
        let back = SavedModel::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.f64s("coef").unwrap()[1], -2.0);
        assert!(back.f32s("coef").is_err() && back.tensor("nope").is_err());
        assert!(SavedModel::from_bytes(b"garbage").is_err());
    }

    #[test]
    fn metadata_order_never_changes_the_bytes() {
        let m = SavedModel::new("logistic", serde_json::json!({"a": 1})).with("w", Tensor::f64(vec![1], vec![1.0]));
        let extra: HashMap<String, String> = (0..16).map(|i| (format!("key{i}"), format!("value{i}"))).collect();
        let first = m.to_bytes_with(&extra).unwrap();
        for _ in 0..8 {
            // Each HashMap has its own hash seed, hence its own iteration order.
            let again: HashMap<String, String> = extra.clone().into_iter().collect();
            assert_eq!(m.to_bytes_with(&again).unwrap(), first);
        }
        let meta = SavedModel::metadata(&first).unwrap();
        assert_eq!(meta["key3"], "value3");
        assert_eq!(SavedModel::from_bytes(&first).unwrap(), m);
    }
}
