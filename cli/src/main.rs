use std::path::PathBuf;
use std::process::ExitCode;

use certport::client::{ClientCommand, Connection, Outcome};
use clap::{Parser, Subcommand};

/// certport: import X.509 certificates and PKCS#12 keystores into a tenant's inventory.
#[derive(Parser)]
#[command(name = "certport", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The local data directory: where `serve` keeps its data and writes
    /// credentials.json, from which the other commands take the API key and address.
    #[arg(long, env = "CERTPORT_DATA_DIR", default_value = "./.certport", global = true)]
    data_dir: PathBuf,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole API locally on embedded storage (SQLite, files, a local key file).
    Serve(certport::serve::ServeArgs),
    /// Provision tenants, API keys and edge instances: on a deployed AWS stack (--table),
    /// or on a local data directory.
    Admin(certport::admin::AdminArgs),
    /// Print the OpenAPI document of both APIs (`serve` serves it at /openapi.yaml).
    Openapi,
    #[command(flatten)]
    Client(ClientCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    certport::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("certport: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime
            .block_on(certport::serve::run(args, &cli.data_dir))
            .map(|()| Outcome::Success)
            .map_err(|e| e.to_string()),
        Command::Admin(args) => runtime
            .block_on(certport::admin::run(args, &cli.data_dir))
            .map(|()| Outcome::Success)
            .map_err(|e| e.to_string()),
        Command::Openapi => {
            print!("{}", certport_core::http::openapi::yaml());
            Ok(Outcome::Success)
        }
        Command::Client(command) => runtime
            .block_on(certport::client::run(&cli.connection, &cli.data_dir, command))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(e) => {
            eprintln!("certport: {e}");
            ExitCode::from(Outcome::Error as u8)
        }
    }
}
