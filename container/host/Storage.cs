using System.Net;
using System.Text;
using System.Text.Json;

namespace Sharpbox.Host;

// The container's only way in and out: HTTP GET and PUT through the SAS URLs the service gave it. A 403
// ends the container at once (StorageDeniedException → 77); every call has a deadline.
internal static class Storage
{
    /// <summary>One call to storage never takes longer; a slower answer is a failed call.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static HttpClient NewClient() => new() { Timeout = CallTimeout };

    /// <summary>GET through a SAS URL; a 403 ends the container (StorageDeniedException), other failures throw.</summary>
    public static async Task<string> GetText(HttpClient http, string url, string what)
    {
        using var response = await http.GetAsync(url);
        if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException(what);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>GET of a blob that may not exist yet: its text, or null for 404 and for a failed call (storage hiccup: ask again).</summary>
    public static async Task<string?> TryGetText(HttpClient http, string url, string what, CancellationToken cancel)
    {
        try
        {
            using var response = await http.GetAsync(url, cancel);
            // 404 is the normal "not yet"; a 403 will not turn into a blob.
            if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException(what);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancel) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return null; // this call timed out; the caller's own deadline decides when to stop asking
        }
    }

    public static async Task Upload(HttpClient http, string url, RunFacts facts)
    {
        var json = JsonSerializer.Serialize(facts, FactsJson.Default.RunFacts);
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException("result");
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>Storage answered 403 to one of the container's SAS URLs.</summary>
internal sealed class StorageDeniedException(string what) : Exception($"storage refused the {what} URL")
{
    public string What { get; } = what;
}
