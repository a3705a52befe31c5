package cli

// The views: which fields each kind of object shows in tables. Field names are API.md's;
// where a field is not fixed there, the likely names are listed in order.

func repoView() view {
	return view{col("ID"), col("NAME"), col("TYPE"), col("VISIBILITY"), col("PROVIDERS"),
		col("STATUS"), col("URL"), col("CREATED_AT")}
}

func repoEventView() view {
	return view{col("ID"), col("REPO_ID"), col("STATUS"), col("APPS_ADDED"), col("VERSIONS_ADDED"),
		col("VERSIONS_REMOVED"), col("STARTED_AT"), col("FINISHED_AT"), col("RESULT")}
}

func appView() view {
	return view{col("ID"), col("NAME"), col("TYPE"), col("STATUS"), col("REPO_ID"),
		col("LATEST_VERSION_ID"), col("UPDATED_AT")}
}

func versionView() view {
	return view{col("ID"), col("NAME"), col("VERSION", "version", "app_version"), col("APP_ID"),
		col("STATUS"), col("CREATED_AT", "created_at", "updated_at")}
}

func fileView() view {
	return view{col("PATH", "path", "name"), col("SIZE", "size")}
}

func auditView() view {
	return view{col("ACTION", "action", "status"), col("STATUS", "status_to", "to", "status"),
		col("OPERATOR", "operator", "actor", "user_id", "owner"), col("MESSAGE"),
		col("TIME", "created_at", "time", "at")}
}

func categoryView() view {
	return view{col("ID"), col("NAME"), col("DESCRIPTION"), col("CREATED_AT")}
}

func runtimeView() view {
	return view{col("ID"), col("NAME"), col("PROVIDER"), col("ZONE"), col("CREDENTIAL_ID"),
		col("STATUS"), col("LABELS")}
}

func credentialView() view {
	return view{col("ID"), col("NAME"), col("PROVIDER"), col("URL"), col("STATUS"), col("CREATED_AT")}
}

func providerView() view {
	return view{col("NAME"), col("APP_TYPE"), col("ZONES")}
}

func nodeView() view {
	return view{col("ID"), col("ADDRESS"), col("STATUS"), col("RAFT_ROLE"), col("ACTORS")}
}

func actorView() view {
	return view{col("KIND"), col("ID"), col("NODE"), col("ACTIVATED_AT"), col("MAILBOX_LEN"),
		col("LAST_MESSAGE_AT")}
}

func checkView() view {
	return view{col("OK"), col("ERROR"), col("ERRORS")}
}
