"""The HSS peers (`hss.hss_peers`): the subscriber API the reference playbooks call (`PUT {peer}/subscriber/{imsi}`,
spec 04 §9.2-9.3). Deprovisioning removes the subscriber, or makes it dormant when SIMs are reused
(`hss.deprovision_subscriber: false`; spec 04 acceptance 40)."""
import requests

from omnicrm.errors import DependencyError, DependencyUnavailable


def dormant_patch(imsi):
    """The dormant subscriber of spec 04 acceptance 40: a placeholder MSISDN and a throttled AMBR."""
    return {"msisdn": f"9999{imsi[-10:]}", "ue_ambr_dl": 999999, "ue_ambr_ul": 999999, "enabled": False}


class HssClient:
    def __init__(self, peers, timeout=5.0):
        self.peers = [peer.rstrip("/") for peer in peers or []]
        self.timeout = timeout

    def deprovision(self, imsi, delete=True):
        """On every peer: DELETE the subscriber (404 = already gone), or PATCH it dormant. Returns the peers done."""
        done = []
        for peer in self.peers:
            url = f"{peer}/subscriber/{imsi}"
            try:
                response = (requests.delete(url, timeout=self.timeout) if delete
                            else requests.patch(url, json=dormant_patch(imsi), timeout=self.timeout))
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise DependencyUnavailable(f"HSS unreachable at {peer}") from exc
            if response.status_code >= 400 and not (delete and response.status_code == 404):
                raise DependencyError(f"HSS {peer} answered HTTP {response.status_code} for subscriber {imsi}")
            done.append(peer)
        return done
