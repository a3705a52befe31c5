package cli

// The views: which fields each kind of object shows in tables. Field names are the server's
// JSON fields (API.md and http/rest/openapi.json).

func repoView() view {
	return view{col("ID"), col("NAME"), col("TYPE"), col("VISIBILITY"), col("PROVIDERS"),
		col("STATUS"), col("URL"), col("CREATED_AT")}
}

func repoEventView() view {
	return view{col("ID"), col("TRIGGER"), col("STATUS"), col("SKIPPED"), col("APPS_ADDED"), col("VERSIONS_ADDED"),
		col("VERSIONS_UPDATED"), col("VERSIONS_REMOVED"), col("FINISHED_AT"), col("RESULT")}
}

func appView() view {
	return view{col("ID"), col("NAME"), col("TYPE"), col("STATUS"), col("REPO_ID"),
		col("LATEST_VERSION_ID"), col("UPDATED_AT")}
}

func versionView() view {
	return view{col("ID"), col("VERSION", "name"), col("APP_VERSION", "app_version"), col("APP_ID"),
		col("STATUS"), col("REMOVED", "removed"), col("CREATED_AT")}
}

func fileView() view {
	return view{col("PATH"), col("SIZE")}
}

func auditView() view {
	return view{col("ACTION"), col("FROM", "from_status"), col("STATUS"), col("OPERATOR"), col("ROLE"),
		col("MESSAGE"), col("TIME", "created_at")}
}

func categoryView() view {
	return view{col("ID"), col("NAME"), col("DESCRIPTION"), col("CREATED_AT")}
}

func runtimeView() view {
	return view{col("ID"), col("NAME"), col("PROVIDER"), col("ZONE"), col("NODE"), col("CREDENTIAL_ID"),
		col("STATUS"), col("LABELS")}
}

func credentialView() view {
	return view{col("ID"), col("NAME"), col("PROVIDER"), col("URL"), col("STATUS"), col("CREATED_AT")}
}

func providerView() view {
	return view{col("NAME"), col("APP_TYPE"), col("ZONES")}
}

func nodeView() view {
	return view{col("NAME"), col("ADDRESS"), col("STATUS"), col("RAFT_ROLE"), col("RAFT_VOTER"), col("RAFT_TERM"),
		col("RAFT_COMMIT_INDEX"), col("RAFT_APPLIED_INDEX"), col("ACTORS")}
}

func actorView() view {
	return view{col("KIND"), col("ID"), col("NODE"), col("ACTIVATED_AT"), col("MAILBOX_LEN"),
		col("LAST_MESSAGE_AT")}
}

func checkView() view {
	return view{col("OK"), col("ERROR"), col("ERRORS")}
}

func clusterView() view {
	return view{col("ID"), col("NAME"), col("STATUS"), col("TRANSITION", "transition_status"), col("APP_ID"),
		col("VERSION_ID"), col("RUNTIME_ID"), col("UPDATED_AT")}
}

func clusterNodeView() view {
	return view{col("ID"), col("ROLE"), col("INSTANCE_ID"), col("PRIVATE_IP"), col("STATUS"), col("HEALTH")}
}

func acceptedView() view {
	return view{col("CLUSTER_ID"), col("JOB_ID")}
}

func jobView() view {
	return view{col("ID"), col("CLUSTER_ID"), col("ACTION"), col("STATUS"), col("DONE", "tasks_done"),
		col("TOTAL", "tasks_total"), col("ERROR"), col("CREATED_AT")}
}

func taskView() view {
	return view{col("LAYER"), col("ID"), col("ACTION"), col("TARGET"), col("STATUS"), col("ATTEMPTS"), col("ERROR")}
}

func frontgateView() view {
	return view{col("ID"), col("VPC"), col("RUNTIME_ID"), col("NODE_NAME"), col("CONNECTED"), col("DRONES"), col("LAST_SEEN")}
}
