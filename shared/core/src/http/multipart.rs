use bytes::Bytes;
use http::HeaderMap;

use crate::app::AppError;

pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Bytes,
}

pub struct Form(Vec<Part>);

impl Form {
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.0.iter().find(|p| p.name == name)
    }

    pub fn require(&self, name: &str) -> Result<&Part, AppError> {
        self.part(name)
            .ok_or_else(|| AppError::invalid(format!("the multipart form has no `{name}` field")))
    }
}

const MAX_PARTS: usize = 16;

pub async fn parse(headers: &HeaderMap, body: Bytes) -> Result<Form, AppError> {
    let not_multipart = || AppError::invalid("send the request as multipart/form-data");
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(not_multipart)?;
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(not_multipart());
    }
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| AppError::invalid("the multipart/form-data content type has no boundary"))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| AppError::invalid(format!("the multipart body is malformed: {e}")))?;
        let Some(field) = field else { break };
        if parts.len() == MAX_PARTS {
            return Err(AppError::invalid(format!(
                "the multipart body has more than {MAX_PARTS} fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field
            .bytes()
            .await
            .map_err(|e| AppError::invalid(format!("the multipart body is malformed: {e}")))?;
        parts.push(Part {
            name,
            file_name,
            data,
        });
    }
    Ok(Form(parts))
}
