// SPDX-License-Identifier: GPL-2.0-or-later
// The names Felix knows, so that a real Felix parameter that hepd does not use gets a warning
// ("ignored by hepd") while a typo gets an error. Lists of names only, taken from
// projectcalico/calico at commit 87c15906f2 (the commit SEMANTICS.md cites):
//   - Felix config parameters: the fields with a `config:` tag in felix/config/config_params.go;
//   - FelixConfiguration spec fields: the json names of FelixConfigurationSpec in
//     api/pkg/apis/projectcalico/v3/felixconfig.go.
// Refresh them when hepd moves to a newer Calico reference.

#include <algorithm>

#include "config_internal.hpp"

namespace hepd::config_detail {

namespace {

const std::string_view felix_param_names[] = {
    "AWSSrcDstCheck", "AllowIPIPPacketsFromWorkloads", "AllowVXLANPacketsFromWorkloads",
    "BPFAttachType", "BPFCTLBLogFilter", "BPFConnectTimeLoadBalancing",
    "BPFConnectTimeLoadBalancingEnabled", "BPFConntrackCleanupMode", "BPFConntrackLogLevel",
    "BPFConntrackTimeouts", "BPFDSROptoutCIDRs", "BPFDataIfacePattern", "BPFDisableGROForIfaces",
    "BPFDisableUnprivileged", "BPFEnabled", "BPFEnforceRPF", "BPFExcludeCIDRsFromNAT",
    "BPFExportBufferSizeMB", "BPFExtToServiceConnmark", "BPFExternalServiceMode",
    "BPFForceTrackPacketsFromIfaces", "BPFHostConntrackBypass", "BPFHostNetworkedNATWithoutCTLB",
    "BPFIPFragTimeout", "BPFIPFragmentReassemblyEnabled", "BPFJITHardening",
    "BPFKubeProxyHealthzPort", "BPFKubeProxyIptablesCleanupEnabled", "BPFKubeProxyMinSyncPeriod",
    "BPFL3IfacePattern", "BPFLogFilters", "BPFLogLevel", "BPFMaglevMaxEndpointsPerService",
    "BPFMaglevMaxServices", "BPFMapSizeConntrack", "BPFMapSizeConntrackCleanupQueue",
    "BPFMapSizeConntrackScaling", "BPFMapSizeIPSets", "BPFMapSizeIfState", "BPFMapSizeNATAffinity",
    "BPFMapSizeNATBackend", "BPFMapSizeNATFrontend", "BPFMapSizePerCPUConntrack",
    "BPFMapSizeRoute", "BPFOverlayHostSourceIP", "BPFPSNATPorts", "BPFPolicyDebugEnabled",
    "BPFProfiling", "BPFRedirectToPeer", "CalicoVersion", "CgroupV2Path", "ChainInsertMode",
    "ClusterGUID", "ClusterType", "DataplaneDriver", "DataplaneWatchdogTimeout", "DatastoreType",
    "DebugBPFCgroupV2", "DebugCPUProfilePath", "DebugDisableLogDropping", "DebugHost",
    "DebugMemoryProfilePath", "DebugPanicAfter", "DebugPort", "DebugSimulateCalcGraphHangAfter",
    "DebugSimulateDataRace", "DebugSimulateDataplaneApplyDelay", "DebugSimulateDataplaneHangAfter",
    "DefaultEndpointToHostAction", "DeviceRouteProtocol", "DeviceRouteSourceAddress",
    "DeviceRouteSourceAddressIPv6", "DisableConntrackInvalidCheck", "EndpointReportingDelaySecs",
    "EndpointReportingEnabled", "EndpointStatusPathPrefix", "EtcdAddr", "EtcdCaFile",
    "EtcdCertFile", "EtcdEndpoints", "EtcdKeyFile", "EtcdScheme", "ExternalNodesCIDRList",
    "FailsafeInboundHostPorts", "FailsafeOutboundHostPorts", "FeatureDetectOverride",
    "FeatureGates", "FelixHostname", "FloatingIPs", "FlowLogsCollectorDebugTrace",
    "FlowLogsFlushInterval", "FlowLogsGoldmaneServer", "FlowLogsLocalReporter",
    "FlowLogsPolicyEvaluationMode", "GenericXDPEnabled", "GoGCThreshold", "GoMaxProcs",
    "GoMemoryLimitMB", "HealthEnabled", "HealthHost", "HealthPort", "HealthTimeoutOverrides",
    "IPForwarding", "IPv4ElevatedRoutePriority", "IPv4NormalRoutePriority", "IPv4VXLANTunnelAddr",
    "IPv6ElevatedRoutePriority", "IPv6NormalRoutePriority", "IPv6VXLANTunnelAddr",
    "InterfaceExclude", "InterfacePrefix", "InterfaceRefreshInterval", "IpInIpEnabled",
    "IpInIpMtu", "IpInIpTunnelAddr", "IpsetsRefreshInterval", "IptablesBackend",
    "IptablesFilterAllowAction", "IptablesFilterDenyAction", "IptablesLockProbeIntervalMillis",
    "IptablesMangleAllowAction", "IptablesMarkMask", "IptablesNATOutgoingInterfaceFilter",
    "IptablesPostWriteCheckIntervalSecs", "IptablesRefreshInterval", "Ipv6Support",
    "IstioAmbientMode", "IstioDSCPMark", "KubeNodePortRanges", "LiveMigrationRouteConvergenceTime",
    "LocalSubnetL2Reachability", "LocalSubnetL2ReachabilityRefreshInterval", "LogActionRateLimit",
    "LogActionRateLimitBurst", "LogDebugFilenameRegex", "LogFilePath", "LogPrefix",
    "LogSeverityFile", "LogSeverityScreen", "LogSeveritySys", "MTUIfacePattern", "MaxIpsetSize",
    "MetadataAddr", "MetadataPort", "NATOutgoingAddress", "NATOutgoingExclusions", "NATPortRange",
    "NFTablesFlowTableDataIfacePattern", "NFTablesFlowTableOffload", "NFTablesMode",
    "NetlinkTimeoutSecs", "NftablesFilterAllowAction", "NftablesFilterDenyAction",
    "NftablesMangleAllowAction", "NftablesMarkMask", "NftablesRefreshInterval", "OpenstackRegion",
    "PolicySyncPathPrefix", "ProgramClusterRoutes", "PrometheusGoMetricsEnabled",
    "PrometheusMetricsCAFile", "PrometheusMetricsCertFile", "PrometheusMetricsClientAuth",
    "PrometheusMetricsEnabled", "PrometheusMetricsHost", "PrometheusMetricsKeyFile",
    "PrometheusMetricsPort", "PrometheusProcessMetricsEnabled",
    "PrometheusWireGuardMetricsEnabled", "RemoveExternalRoutes", "ReportingIntervalSecs",
    "ReportingTTLSecs", "RequireMTUFile", "RouteRefreshInterval", "RouteSource",
    "RouteSyncDisabled", "RouteTableRange", "RouteTableRanges", "ServiceLoopPrevention",
    "SidecarAccelerationEnabled", "TyphaAddr", "TyphaCAFile", "TyphaCN", "TyphaCertFile",
    "TyphaK8sNamespace", "TyphaK8sServiceName", "TyphaKeyFile", "TyphaReadTimeout", "TyphaURISAN",
    "TyphaWriteTimeout", "UsageReportingEnabled", "UsageReportingInitialDelaySecs",
    "UsageReportingIntervalSecs", "UseInternalDataplaneDriver", "VXLANEnabled", "VXLANMTU",
    "VXLANMTUV6", "VXLANPort", "VXLANTunnelMACAddr", "VXLANTunnelMACAddrV6", "VXLANVNI", "Variant",
    "WindowsManageFirewallRules", "WireguardEnabled", "WireguardEnabledV6",
    "WireguardHostEncryptionEnabled", "WireguardInterfaceName", "WireguardInterfaceNameV6",
    "WireguardListeningPort", "WireguardListeningPortV6", "WireguardMTU", "WireguardMTUV6",
    "WireguardPersistentKeepAlive", "WireguardRoutingRulePriority", "WireguardThreadingEnabled",
    "WorkloadSourceSpoofing", "XDPEnabled", "XDPRefreshInterval",
};

const std::string_view felix_v3_fields[] = {
    "allowIPIPPacketsFromWorkloads", "allowVXLANPacketsFromWorkloads", "awsSrcDstCheck",
    "bpfAttachType", "bpfCTLBLogFilter", "bpfConnectTimeLoadBalancing",
    "bpfConnectTimeLoadBalancingEnabled", "bpfConntrackLogLevel", "bpfConntrackMode",
    "bpfConntrackTimeouts", "bpfDSROptoutCIDRs", "bpfDataIfacePattern", "bpfDisableGROForIfaces",
    "bpfDisableUnprivileged", "bpfEnabled", "bpfEnforceRPF", "bpfExcludeCIDRsFromNAT",
    "bpfExportBufferSizeMB", "bpfExtToServiceConnmark", "bpfExternalServiceMode",
    "bpfForceTrackPacketsFromIfaces", "bpfHostConntrackBypass", "bpfHostNetworkedNATWithoutCTLB",
    "bpfIPFragTimeout", "bpfIPFragmentReassemblyEnabled", "bpfJITHardening",
    "bpfKubeProxyHealthzPort", "bpfKubeProxyIptablesCleanupEnabled", "bpfKubeProxyMinSyncPeriod",
    "bpfL3IfacePattern", "bpfLogFilters", "bpfLogLevel", "bpfMaglevMaxEndpointsPerService",
    "bpfMaglevMaxServices", "bpfMapSizeConntrack", "bpfMapSizeConntrackCleanupQueue",
    "bpfMapSizeConntrackScaling", "bpfMapSizeIPSets", "bpfMapSizeIfState", "bpfMapSizeNATAffinity",
    "bpfMapSizeNATBackend", "bpfMapSizeNATFrontend", "bpfMapSizePerCpuConntrack",
    "bpfMapSizeRoute", "bpfOverlayHostSourceIP", "bpfPSNATPorts", "bpfPolicyDebugEnabled",
    "bpfProfiling", "bpfRedirectToPeer", "cgroupV2Path", "chainInsertMode", "dataplaneDriver",
    "dataplaneWatchdogTimeout", "debugDisableLogDropping", "debugHost", "debugMemoryProfilePath",
    "debugPort", "debugSimulateCalcGraphHangAfter", "debugSimulateDataplaneApplyDelay",
    "debugSimulateDataplaneHangAfter", "defaultEndpointToHostAction", "deviceRouteProtocol",
    "deviceRouteSourceAddress", "deviceRouteSourceAddressIPv6", "disableConntrackInvalidCheck",
    "endpointReportingDelay", "endpointReportingEnabled", "endpointStatusPathPrefix",
    "externalNodesList", "failsafeInboundHostPorts", "failsafeOutboundHostPorts",
    "featureDetectOverride", "featureGates", "floatingIPs", "flowLogsCollectorDebugTrace",
    "flowLogsFlushInterval", "flowLogsGoldmaneServer", "flowLogsLocalReporter",
    "flowLogsPolicyEvaluationMode", "genericXDPEnabled", "goGCThreshold", "goMaxProcs",
    "goMemoryLimitMB", "healthEnabled", "healthHost", "healthPort", "healthTimeoutOverrides",
    "interfaceExclude", "interfacePrefix", "interfaceRefreshInterval", "ipForwarding",
    "ipipEnabled", "ipipMTU", "ipsetsRefreshInterval", "iptablesBackend",
    "iptablesFilterAllowAction", "iptablesFilterDenyAction", "iptablesLockProbeInterval",
    "iptablesMangleAllowAction", "iptablesMarkMask", "iptablesNATOutgoingInterfaceFilter",
    "iptablesPostWriteCheckInterval", "iptablesRefreshInterval", "ipv4ElevatedRoutePriority",
    "ipv4NormalRoutePriority", "ipv6ElevatedRoutePriority", "ipv6NormalRoutePriority",
    "ipv6Support", "istioAmbientMode", "istioDSCPMark", "kubeNodePortRanges",
    "liveMigrationRouteConvergenceTime", "localSubnetL2Reachability",
    "localSubnetL2ReachabilityRefreshInterval", "logActionRateLimit", "logActionRateLimitBurst",
    "logDebugFilenameRegex", "logFilePath", "logPrefix", "logSeverityFile", "logSeverityScreen",
    "logSeveritySys", "maxIpsetSize", "metadataAddr", "metadataPort", "mtuIfacePattern",
    "natOutgoingAddress", "natOutgoingExclusions", "natPortRange", "netlinkTimeout",
    "nftablesFilterAllowAction", "nftablesFilterDenyAction", "nftablesFlowTableDataIfacePattern",
    "nftablesFlowTableOffload", "nftablesMangleAllowAction", "nftablesMarkMask", "nftablesMode",
    "nftablesRefreshInterval", "nodeSelector", "openstackRegion", "policySyncPathPrefix",
    "programClusterRoutes", "prometheusGoMetricsEnabled", "prometheusMetricsCAFile",
    "prometheusMetricsCertFile", "prometheusMetricsClientAuth", "prometheusMetricsEnabled",
    "prometheusMetricsHost", "prometheusMetricsKeyFile", "prometheusMetricsPort",
    "prometheusProcessMetricsEnabled", "prometheusWireGuardMetricsEnabled", "removeExternalRoutes",
    "reportingInterval", "reportingTTL", "requireMTUFile", "routeRefreshInterval", "routeSource",
    "routeSyncDisabled", "routeTableRange", "routeTableRanges", "serviceLoopPrevention",
    "sidecarAccelerationEnabled", "usageReportingEnabled", "usageReportingInitialDelay",
    "usageReportingInterval", "useInternalDataplaneDriver", "vxlanEnabled", "vxlanMTU",
    "vxlanMTUV6", "vxlanPort", "vxlanVNI", "windowsManageFirewallRules", "wireguardEnabled",
    "wireguardEnabledV6", "wireguardHostEncryptionEnabled", "wireguardInterfaceName",
    "wireguardInterfaceNameV6", "wireguardKeepAlive", "wireguardListeningPort",
    "wireguardListeningPortV6", "wireguardMTU", "wireguardMTUV6", "wireguardRoutingRulePriority",
    "wireguardThreadingEnabled", "workloadSourceSpoofing", "xdpEnabled", "xdpRefreshInterval",
};

}  // namespace

bool is_felix_param_name(std::string_view name_ci) {
    return std::any_of(std::begin(felix_param_names), std::end(felix_param_names),
                       [&](std::string_view n) { return iequals(n, name_ci); });
}

bool is_felix_v3_field(std::string_view field) {
    return std::find(std::begin(felix_v3_fields), std::end(felix_v3_fields), field) !=
           std::end(felix_v3_fields);
}

std::string_view felix_v3_field_ci(std::string_view field) {
    for (std::string_view f : felix_v3_fields) {
        if (iequals(f, field)) return f;
    }
    return {};
}

}  // namespace hepd::config_detail
