"""One module per `podium` verb (`clear-rate-limits` lives in `clear_rate_limits`): each one
declares its arguments (`declare(parser)`) and runs them (`run(args) -> int`, an exit code).
`podium.cli.verbs` names them all; `podium.cli.main` imports only the one asked for."""
