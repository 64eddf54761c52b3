using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>Web push: needs a browser subscription (endpoint and keys) and push consent.</summary>
public sealed class WebPushChannel : IChannelRule
{
    public string Channel => Workflows.Channels.WebPush;

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Push))
        {
            return Reasons.NoConsent;
        }

        var sub = customer.WebPush;
        var complete = sub is not null && Uri.TryCreate(sub.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            && !string.IsNullOrWhiteSpace(sub.P256dh) && !string.IsNullOrWhiteSpace(sub.Auth);
        return complete ? null : Reasons.NoAddress;
    }
}

/// <summary>
/// <c>WebPush:AllowedHosts</c>: the push services a subscription endpoint may point at. The endpoint comes from a
/// storefront visitor's browser, and the Worker POSTs to it: without this list anyone could make it call any URL.
/// Checked where a subscription is accepted and again before each send. An entry is a host name or <c>*.</c> and a
/// domain (its subdomains). Setting the list replaces the defaults.
/// </summary>
public sealed class WebPushEndpointOptions : IProviderOptions
{
    public const string Section = "WebPush";

    /// <summary>
    /// The browsers' push services: Chrome, Opera, Samsung Internet and other Chromium browsers (FCM), Firefox
    /// (Mozilla autopush), Safari (web.push.apple.com) and Edge (Windows Push Notification Services, wns2-*.notify.windows.com).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultHosts =
        ["fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.apple.com", "*.notify.windows.com"];

    public string[]? AllowedHosts { get; set; }

    public IReadOnlyList<string> Hosts => AllowedHosts is { Length: > 0 } configured ? configured : DefaultHosts;

    /// <summary>
    /// True when <paramref name="endpoint"/> is an absolute https URL on the default port of an allowed host (any port
    /// and plain http are accepted on loopback only, for local push service stand-ins that must still be listed).
    /// </summary>
    public bool Allows(string? endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }

        var transport = uri.IsLoopback
            ? uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp
            : uri.Scheme == Uri.UriSchemeHttps && uri.IsDefaultPort;
        if (!transport)
        {
            return false;
        }

        var host = uri.IdnHost;
        return Hosts.Any(allowed => allowed.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase) && host.Length > allowed.Length - 1
            : string.Equals(host, allowed, StringComparison.OrdinalIgnoreCase));
    }

    public IEnumerable<string> Problems()
    {
        foreach (var host in AllowedHosts ?? [])
        {
            var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
            if (Uri.CheckHostName(name) == UriHostNameType.Unknown || name.Contains('*', StringComparison.Ordinal))
            {
                yield return $"AllowedHosts: '{host}' is not a host name, an IP address or *.domain";
            }
        }
    }
}
