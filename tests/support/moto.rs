//! A fresh S3 bucket, DynamoDB table, KMS key and shard queue on the moto server that
//! `scripts/test` starts.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_s3::config::Credentials;
use certport_aws::FunctionConfig;
use certport_core::app::Limits;

pub const ENDPOINT_VAR: &str = "CERTPORT_TEST_MOTO_ENDPOINT";

/// Where tests reach moto: a proxy in front of it (one per test process, on a thread of
/// its own) that refuses what AWS refuses (`aws_limits`), so every moto test is held to
/// AWS's limits. Without a moto server the test fails with one line saying how to run
/// it (unwinding without the panic hook: no panic message, no backtrace).
pub fn endpoint() -> String {
    static PROXY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PROXY.get_or_init(|| limits_proxy(&moto_endpoint())).clone()
}

/// moto itself, behind no proxy.
pub fn moto_endpoint() -> String {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) => endpoint,
        Err(_) => {
            eprintln!("{ENDPOINT_VAR} is not set: this test needs moto server; run ./scripts/test, which starts one");
            std::panic::resume_unwind(Box::new(()))
        }
    }
}

/// Starts the limits proxy in front of `upstream` on a runtime of its own (tests' own
/// runtimes come and go), for as long as the process runs.
pub fn limits_proxy(upstream: &str) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        runtime.block_on(async move {
            let proxy = crate::flaky_aws::FlakyAws::start(&upstream, Box::new(|_| None)).await;
            let _ = sender.send(proxy.endpoint.clone());
            std::future::pending::<()>().await;
        });
    });
    receiver.recv().expect("the limits proxy started")
}

/// Credentials and region moto accepts; what the functions get through the environment too.
pub fn environment(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// The SDK's default configuration (retries included, as the functions load it), with
/// moto's credentials and region, talking to `endpoint`.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

pub struct Stack {
    pub sdk: SdkConfig,
    pub table: String,
    pub bucket: String,
    pub kms_key_id: String,
    /// The queue of large uploads' shards.
    pub shard_queue_url: String,
}

impl Stack {
    /// Resources with unique names, so tests sharing one moto server never meet. The
    /// table is template.yaml's (`TABLE_KEY`, `TABLE_INDEXES`; a test compares them).
    pub async fn create() -> Stack {
        Stack::create_at(&endpoint()).await
    }

    /// The same on the moto server at `endpoint`.
    pub async fn create_at(endpoint: &str) -> Stack {
        let sdk = sdk_config(endpoint).await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let (table, bucket) = (format!("certport-{suffix}"), format!("certport-{suffix}"));
        aws_sdk_dynamodb::Client::new(&sdk)
            .create_table()
            .table_name(&table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(table_attributes().into_iter().map(attribute).collect()))
            .key_schema(key(TABLE_KEY.0, KeyType::Hash))
            .key_schema(key(TABLE_KEY.1, KeyType::Range))
            .set_global_secondary_indexes(Some(TABLE_INDEXES.iter().map(index).collect()))
            .send()
            .await
            .expect("create table on moto");
        certport_aws::s3_client(&sdk)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket on moto");
        let kms_key_id = aws_sdk_kms::Client::new(&sdk)
            .create_key()
            .description("certport test key")
            .send()
            .await
            .expect("create KMS key on moto")
            .key_metadata
            .expect("key metadata")
            .key_id;
        let shard_queue_url = aws_sdk_sqs::Client::new(&sdk)
            .create_queue()
            .queue_name(format!("certport-shards-{suffix}"))
            .send()
            .await
            .expect("create SQS queue on moto")
            .queue_url
            .expect("queue url");
        Stack {
            sdk,
            table,
            bucket,
            kms_key_id,
            shard_queue_url,
        }
    }

    pub fn function_config(&self) -> FunctionConfig {
        FunctionConfig {
            table: self.table.clone(),
            bucket: Some(self.bucket.clone()),
            dek_kms_key_id: Some(self.kms_key_id.clone()),
            data_kms_key_id: Some(self.kms_key_id.clone()),
            shard_queue_url: Some(self.shard_queue_url.clone()),
            limits: Limits::default(),
        }
    }

    /// The environment a function process needs to run on this stack.
    pub fn function_environment(&self) -> Vec<(&'static str, String)> {
        let mut env = environment(&endpoint());
        env.push(("CERTPORT_TABLE", self.table.clone()));
        env.push(("CERTPORT_BUCKET", self.bucket.clone()));
        env.push(("CERTPORT_DEK_KMS_KEY_ID", self.kms_key_id.clone()));
        env.push(("CERTPORT_DATA_KMS_KEY_ID", self.kms_key_id.clone()));
        env.push(("CERTPORT_SHARD_QUEUE_URL", self.shard_queue_url.clone()));
        env
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        certport_aws::s3_client(&self.sdk)
    }
}

fn attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

/// The records table's key (hash, range), as template.yaml declares it.
pub const TABLE_KEY: (&str, &str) = ("pk", "sk");

/// A global secondary index of the records table: name, hash key, range key, projection
/// (as CloudFormation spells it).
pub type TableIndex = (&'static str, &'static str, Option<&'static str>, &'static str);

/// The records table's indexes, as template.yaml declares them.
pub const TABLE_INDEXES: [TableIndex; 4] = [
    (
        certport_aws::OPEN_JOBS_INDEX,
        "open_pk",
        Some("open_sk"),
        "KEYS_ONLY",
    ),
    (certport_aws::LOOKUP_INDEX, "lookup_pk", None, "KEYS_ONLY"),
    (certport_aws::SERIAL_INDEX, "serial_pk", None, "KEYS_ONLY"),
    (certport_aws::LISTING_INDEX, "list_pk", Some("list_sk"), "ALL"),
];

/// Every key attribute of the table and its indexes, in declaration order.
pub fn table_attributes() -> Vec<&'static str> {
    let indexes = TABLE_INDEXES
        .iter()
        .flat_map(|(_, hash, range, _)| [Some(*hash), *range]);
    [Some(TABLE_KEY.0), Some(TABLE_KEY.1)]
        .into_iter()
        .chain(indexes)
        .flatten()
        .collect()
}

fn index(&(name, hash, range, projection): &TableIndex) -> GlobalSecondaryIndex {
    let mut index = GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash, KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::from(projection))
                .build(),
        );
    if let Some(range) = range {
        index = index.key_schema(key(range, KeyType::Range));
    }
    index.build().expect("index")
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("key schema")
}

/// The moto server a benchmark uses: the one `CERTPORT_TEST_MOTO_ENDPOINT` names, or one of
/// its own (kept running while the first value lives).
pub fn bench_endpoint() -> (Option<OwnMotoServer>, String) {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) => (None, endpoint),
        Err(_) => {
            let own = OwnMotoServer::start();
            let endpoint = own.endpoint.clone();
            (Some(own), endpoint)
        }
    }
}

/// A moto server of its own, from the virtualenv `scripts/test` makes under `.build/`,
/// for commands run outside the test command (the moto benchmark). Stops when dropped.
pub struct OwnMotoServer {
    pub endpoint: String,
    child: std::process::Child,
}

impl OwnMotoServer {
    pub fn start() -> OwnMotoServer {
        let root = crate::fixtures::repo_root();
        let python = root.join(".build/venv/bin/python");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(&python)
            .arg(root.join("scripts/moto-server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} ({e}): run scripts/test once to install it", python.display()));
        let server = OwnMotoServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("moto server did not start on {}", server.endpoint);
    }
}

impl Drop for OwnMotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
